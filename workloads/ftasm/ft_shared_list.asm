list shared
func task i size
	var k total .t0
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
	load_global shared
	load k
	append
	check
	const 0
	pop
	load total
	load k
	const 7
	mod
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
	load i
	add
	return
end
