# The hand-written assembly of the fib workload, copied from workloads/fib.go
# for the benchmark against the program compiled from fib.py.

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
