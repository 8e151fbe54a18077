xs = list(range(100000))
total = 0
for rnd in range(5):
    scale = rnd + 1
    ys = list(filter(lambda y: y % 3 == 0, map(lambda x: x * scale, xs)))
    total = total + sum(map(lambda y: y / 2, ys))
print(total)
