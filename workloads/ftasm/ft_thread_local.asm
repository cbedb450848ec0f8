local tls 1
func task i size
	var k total .t0
	load i
	const 10
	mod
	load_global tls
	swap
	setattr 0
	const 0
	store total
	const 0
	store k
	load size
	store .t0
	check
	load k
	load .t0
	lt
	jump_if_false .L3
.L1:
	load total
	load_global tls
	getattr 0
	load k
	const 3
	mod
	add
	add
	store total
.L2:
	load k
	const 1
	add
	store k
	load k
	load .t0
	lt
	jump_if_true .L1
.L3:
.L4:
	load total
	return
end
