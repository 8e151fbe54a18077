local function map(xs, f) local r = {} for i = 1, #xs do r[i] = f(xs[i]) end return r end
local function filter(xs, f) local r = {} for i = 1, #xs do if f(xs[i]) then r[#r + 1] = xs[i] end end return r end
local function sum(xs) local s = 0 for i = 1, #xs do s = s + xs[i] end return s end
local xs = {}
for i = 0, 99999 do xs[#xs + 1] = i end
local total = 0
for round = 0, 4 do
  local scale = round + 1
  local ys = filter(map(xs, function(x) return x * scale end), function(y) return y % 3 == 0 end)
  total = total + sum(map(ys, function(y) return y / 2 end))
end
print(total)
