package compiler_test

// The hand-written assembly the primes, fib and mandelbrot workloads ran before their
// programs were compiled from their Python files, kept for BenchmarkHandVsCompiled.
var handWritten = map[string]string{
	"primes": `
func task i size
	var n hi count
	load i              # n = base + (i % windows) * size
	const 64
	mod
	load size
	mul
	const 1000000
	add
	dup
	store n
	load size           # hi = n + size
	add
	store hi
loop:                   # for n < hi: count += isprime(n); n += 1
	load n
	load hi
	lt
	jump_if_false done
	load n
	call isprime
	load count
	add
	store count
	load n
	const 1
	add
	store n
	jump loop
done:
	load count
	return
end

func isprime n
	var d
	load n              # n < 2: no
	const 2
	lt
	jump_if_false two
	const 0
	return
two:
	load n              # 2 and 3: yes
	const 4
	lt
	jump_if_false even
	const 1
	return
even:
	load n              # even: no
	const 2
	mod
	jump_if_true odd
	const 0
	return
odd:
	const 3
	store d
trial:                  # while d*d <= n: if n % d == 0: no; d += 2
	load d
	load d
	mul
	load n
	le
	jump_if_false prime
	load n
	load d
	mod
	jump_if_false composite
	load d
	const 2
	add
	store d
	jump trial
prime:
	const 1
	return
composite:
	const 0
	return
end
`,
	"fib": `
func task i size
	load size
	call fib
	load i
	add
	return
end

func fib n
	load n              # n < 2: n
	const 2
	lt
	jump_if_false rec
	load n
	return
rec:
	load n              # fib(n-1) + fib(n-2)
	const 1
	sub
	call fib
	load n
	const 2
	sub
	call fib
	add
	return
end
`,
	"mandelbrot": `
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
`,
}
