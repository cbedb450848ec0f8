# The hand-written assembly of the mandelbrot workload, copied from workloads/mandelbrot.go
# for the benchmark against the program compiled from mandelbrot.py.

func task i size
	var scale y x cr ci zr zi zr2 zi2 n count
	const 2.5           # scale = 2.5 / size
	load size
	itof
	fdiv
	store scale
	load i              # y = i % bands
	const 16
	mod
	store y
rows:
	load y
	load size
	lt
	jump_if_false done
	load y              # ci = y*scale - 1.25
	itof
	load scale
	fmul
	const 1.25
	fsub
	store ci
	const 0
	store x
cols:
	load x
	load size
	lt
	jump_if_false nextrow
	load x              # cr = x*scale - 2.0
	itof
	load scale
	fmul
	const 2.0
	fsub
	store cr
	const 0.0
	store zr
	const 0.0
	store zi
	const 0
	store n
iter:                   # for n < maxiter
	load n
	const 100
	lt
	jump_if_false inset
	load zr             # zr2 = zr*zr; zi2 = zi*zi
	load zr
	fmul
	store zr2
	load zi
	load zi
	fmul
	store zi2
	load zr2            # if zr2 + zi2 > 4: escaped
	load zi2
	fadd
	const 4.0
	fgt
	jump_if_true escaped
	const 2.0           # zi = 2*zr*zi + ci
	load zr
	fmul
	load zi
	fmul
	load ci
	fadd
	store zi
	load zr2            # zr = zr2 - zi2 + cr
	load zi2
	fsub
	load cr
	fadd
	store zr
	load n
	const 1
	add
	store n
	jump iter
inset:
	load count
	const 1
	add
	store count
escaped:
	load x
	const 1
	add
	store x
	jump cols
nextrow:
	load y
	const 16
	add
	store y
	jump rows
done:
	load count
	return
end
