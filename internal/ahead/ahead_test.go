package ahead

import "testing"

func TestTakeGivesThePreparedArray(t *testing.T) {
	var a Array[[3]uint64]
	a.Prepare(10000)
	for range 10 {
		a.Touch()
	}
	if a.touched != 10*(pageSize/24) {
		t.Fatalf("touched %d elements' pages after 10 touches; want %d", a.touched, 10*(pageSize/24))
	}
	for range 10000 {
		a.Touch() // past the end: nothing to do
	}
	prepared := &a.s[0]
	s := a.Take(10000)
	if len(s) != 10000 || &s[0] != prepared {
		t.Fatalf("Take(10000) did not return the prepared array")
	}
	for i, v := range s {
		if v != ([3]uint64{}) {
			t.Fatalf("element %d is %v; want zero", i, v)
		}
	}
	if a.s != nil {
		t.Fatal("Take kept the array it returned")
	}
}

func TestTakeOfAnotherLengthAllocates(t *testing.T) {
	var a Array[uint64]
	a.Prepare(64)
	if s := a.Take(32); len(s) != 32 {
		t.Fatalf("Take(32) returned %d elements", len(s))
	}
	if a.s != nil {
		t.Fatal("Take forgot nothing")
	}
	var none Array[uint64]
	none.Touch()
	if s := none.Take(8); len(s) != 8 {
		t.Fatalf("Take(8) without Prepare returned %d elements", len(s))
	}
}

func TestPrepareKeepsAnArrayOfTheSameLength(t *testing.T) {
	var a Array[byte]
	a.Prepare(3 * pageSize)
	a.Touch()
	a.Prepare(3 * pageSize)
	if a.touched != pageSize {
		t.Fatalf("Prepare of the same length started over (touched %d)", a.touched)
	}
	a.Prepare(pageSize)
	if len(a.s) != pageSize || a.touched != 0 {
		t.Fatalf("Prepare of another length kept the old array")
	}
}

func TestDropForgetsThePreparedArray(t *testing.T) {
	var a Array[uint64]
	a.Prepare(1024)
	a.Touch()
	a.Drop()
	if a.Len() != 0 || a.touched != 0 {
		t.Fatalf("after Drop: prepared %d, touched %d", a.Len(), a.touched)
	}
}
