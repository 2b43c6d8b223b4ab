# Instructions per managed method from a callgrind run (--dump-instr=yes) and the runtime perf map (DOTNET_PerfMapEnabled=1).
# Usage: attribute.py CALLGRIND_OUT PERF_MAP [TOP]
import sys, bisect, re, collections
cg, pmap = sys.argv[1], sys.argv[2]
ranges = []
for l in open(pmap):
    a, s, name = l.rstrip('\n').split(' ', 2)
    ranges.append((int(a, 16), int(s, 16), name))
ranges.sort(); starts = [r[0] for r in ranges]
def method(addr):
    i = bisect.bisect_right(starts, addr) - 1
    if i >= 0 and addr < ranges[i][0] + ranges[i][1]: return ranges[i][2]
    return None
cost = collections.Counter(); pos = 0; skip = False; fn = ''; npos = 1
for line in open(cg):
    if line.startswith('positions:'): npos = len(line.split()) - 1; continue
    if line.startswith('calls='): skip = True; continue
    c = line[0]
    if c in '0123456789+-*':
        parts = line.split()
        p = parts[0]
        if p == '*': pass
        elif p[0] == '+': pos += int(p[1:], 0)
        elif p[0] == '-': pos -= int(p[1:], 0)
        else: pos = int(p, 0)
        if skip: skip = False; continue
        if len(parts) > npos:
            m = method(pos)
            cost[m or ('native:' + fn)] += int(parts[npos])
    elif line.startswith('fn='):
        fn = line[3:].strip()
total = sum(cost.values())
for m, n in cost.most_common(int(sys.argv[3]) if len(sys.argv) > 3 else 40):
    print(f"{n/1e6:9.1f}M {100*n/total:5.1f}%  {m[:150]}")
print('total', total)
