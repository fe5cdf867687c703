package access

import "testing"

func TestIncludes(t *testing.T) {
	tests := []struct {
		grant, need Action
		want        bool
	}{
		{Pull, Pull, true},
		{Pull, Push, false},
		{Pull, Delete, false},
		{Push, Pull, true},
		{Push, Push, true},
		{Push, Delete, false},
		{Delete, Pull, true},
		{Delete, Push, true},
		{Delete, Delete, true},
		{0, Pull, false},
		{Delete, 0, false},
		{Action(9), Pull, false},
	}
	for _, tt := range tests {
		t.Run(tt.grant.String()+" grants "+tt.need.String(), func(t *testing.T) {
			if got := tt.grant.Includes(tt.need); got != tt.want {
				t.Errorf("%v.Includes(%v) = %v, want %v", tt.grant, tt.need, got, tt.want)
			}
			var set Set
			if tt.grant.Valid() {
				set = set.Add(tt.grant)
			}
			if got := set.Has(tt.need); got != tt.want {
				t.Errorf("Set{%v}.Has(%v) = %v, want %v", tt.grant, tt.need, got, tt.want)
			}
		})
	}
}

func TestParseAction(t *testing.T) {
	for _, a := range []Action{Pull, Push, Delete} {
		got, err := ParseAction(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAction(%q) = %v, %v; want %v", a.String(), got, err, a)
		}
	}
	for _, s := range []string{"", "PULL", "pull ", "*", "admin", "invalid"} {
		if _, err := ParseAction(s); err == nil {
			t.Errorf("ParseAction(%q) succeeded, want an error", s)
		}
	}
}
