# The hand-written assembly of the primes workload, copied from workloads/primes.go
# for the benchmark against the program compiled from primes.py.

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
