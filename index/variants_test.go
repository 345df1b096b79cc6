package index

import (
	"reflect"
	"testing"
)

func TestVariants(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"defence", []string{"defence", "defense"}},
		{"defense", []string{"defense", "defence"}},
		{"organise", []string{"organise", "organize"}},
		{"organized", []string{"organized", "organised"}},
		{"normalisation", []string{"normalisation", "normalization"}},
		{"analyse", []string{"analyse", "analyze"}},
		{"labour", []string{"labour", "labor"}},
		{"neighbors", []string{"neighbors", "neighbours"}},
		{"honourable", []string{"honourable", "honorable"}},
		{"centre", []string{"centre", "center"}},
		{"surprise", []string{"surprise"}},
		{"exercised", []string{"exercised"}},
		{"for", []string{"for"}},
		{"door", []string{"door"}},
		{"rise", []string{"rise"}},
		{"treaty", []string{"treaty", "pact", "accord"}},
		{"pacts", []string{"pacts", "treaties", "accords"}},
		{"summit", []string{"summit"}},
	} {
		if got := Variants(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Variants(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzVariants(f *testing.F) {
	f.Add("organisation")
	f.Fuzz(func(t *testing.T, w string) {
		v := Variants(w)
		if len(v) == 0 || v[0] != w {
			t.Fatalf("Variants(%q) = %v: the word itself must come first", w, v)
		}
		seen := map[string]bool{}
		for _, x := range v {
			if seen[x] {
				t.Fatalf("Variants(%q) = %v repeats %q", w, v, x)
			}
			seen[x] = true
		}
	})
}
