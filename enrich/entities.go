package enrich

import (
	"cmp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Entity is one catalogued thing the tagger knows.
type Entity struct {
	Kind      string   `json:"kind"`                // "country", "leader", "treaty" or "keyword"
	ID        string   `json:"id"`                  // ISO 3166-1 alpha-2, Wikidata QID (or project id), treaty id, keyword
	Label     string   `json:"label"`               // display name
	Aliases   []string `json:"aliases,omitempty"`   // other names it is known by
	Countries []string `json:"countries,omitempty"` // leader: their country; treaty: catalogued parties
}

// Entity kinds.
const (
	KindCountry = "country"
	KindLeader  = "leader"
	KindTreaty  = "treaty"
	KindKeyword = "keyword"
)

// kindRank orders kinds in lookup results of equal standing.
func kindRank(k string) int {
	switch k {
	case KindCountry:
		return 0
	case KindLeader:
		return 1
	case KindTreaty:
		return 2
	}
	return 3
}

// entityName is one folded name (id, label or alias) of an entity.
type entityName struct {
	folded string
	ent    int32
}

// entityIndex holds every entity and its names, built once by New so that
// Lookup (autocomplete) and Resolve answer without scanning the tables.
type entityIndex struct {
	ents  []Entity
	names []entityName // sorted by folded name, then entity
	// all holds every folded name in names order, each followed by "\x00";
	// offs[i] is where names[i] starts. Substring search runs over it.
	all    string
	offs   []int
	byName map[string][]int32 // folded name → entities, in entity order
	byID   map[string]int32   // kind + "\x00" + folded id → entity
	// person index → entity index, treaty index → entity index
	personEnt, treatyEnt []int32
	countryEnt           []int32
}

// buildEntities indexes the countries, leaders, treaties and keywords of t.
func (t *Tagger) buildEntities() {
	x := &entityIndex{byName: map[string][]int32{}, byID: map[string]int32{}}
	g := t.g
	for _, c := range g.countries {
		var al []string
		for _, a := range c.aliases["en"] {
			al = append(al, a.text)
		}
		x.countryEnt = append(x.countryEnt, int32(len(x.ents)))
		x.add(Entity{Kind: KindCountry, ID: c.code, Label: c.names["en"], Aliases: al})
	}
	for _, p := range t.persons {
		var al, cs []string
		// Countries of the person's offices, latest first.
		for k := len(p.terms) - 1; k >= 0; k-- {
			tm := &g.terms[p.terms[k]]
			al = append(al, tm.aliases...)
			if tm.name != p.name {
				al = append(al, tm.name)
			}
			if !slices.Contains(cs, tm.country) {
				cs = append(cs, tm.country)
			}
		}
		x.personEnt = append(x.personEnt, int32(len(x.ents)))
		x.add(Entity{Kind: KindLeader, ID: p.id, Label: p.name, Aliases: al, Countries: cs})
	}
	for _, tr := range g.treaties {
		var al, cs []string
		for _, a := range tr.aliases {
			al = append(al, a.text)
		}
		for _, p := range tr.parties {
			if p != "multilateral" {
				cs = append(cs, p)
			}
		}
		x.treatyEnt = append(x.treatyEnt, int32(len(x.ents)))
		x.add(Entity{Kind: KindTreaty, ID: tr.id, Label: tr.name, Aliases: al, Countries: cs})
	}
	for i, base := range t.keywords {
		if slices.Contains(t.keywords[:i], base) {
			continue
		}
		var forms []string
		for _, k := range g.keywords {
			if k.base == base {
				forms = k.forms
			}
		}
		x.add(Entity{Kind: KindKeyword, ID: base, Label: base, Aliases: forms})
	}
	slices.SortFunc(x.names, func(a, b entityName) int {
		if c := strings.Compare(a.folded, b.folded); c != 0 {
			return c
		}
		return cmp.Compare(a.ent, b.ent)
	})
	var b strings.Builder
	for _, n := range x.names {
		x.offs = append(x.offs, b.Len())
		b.WriteString(n.folded)
		b.WriteByte(0)
	}
	x.all = b.String()
	t.ents = x
}

// add appends e, de-duplicating its aliases, and indexes its names.
func (x *entityIndex) add(e Entity) {
	seen := map[string]bool{fold(e.Label): true}
	al := e.Aliases[:0:0]
	for _, a := range e.Aliases {
		if f := fold(a); f != "" && !seen[f] {
			seen[f] = true
			al = append(al, a)
		}
	}
	e.Aliases = al
	idx := int32(len(x.ents))
	x.ents = append(x.ents, e)
	key := e.Kind + "\x00" + fold(e.ID)
	if _, ok := x.byID[key]; !ok {
		x.byID[key] = idx
	}
	names := map[string]bool{}
	for _, n := range append([]string{e.ID, e.Label}, e.Aliases...) {
		f := fold(n)
		if f == "" || names[f] {
			continue
		}
		names[f] = true
		x.names = append(x.names, entityName{folded: f, ent: idx})
		x.byName[f] = append(x.byName[f], idx)
	}
}

// Lookup finds entities whose id, label or any alias matches q (case- and
// accent-insensitive; exact matches first, then prefix, then substring),
// filtered by kind when kind != "", at most limit.
func (t *Tagger) Lookup(q, kind string, limit int) []Entity {
	x := t.ents
	f := fold(q)
	if f == "" || limit <= 0 {
		return nil
	}
	var out []Entity
	taken := map[int32]bool{}
	take := func(ids []int32) bool {
		for _, id := range ids {
			if taken[id] || kind != "" && x.ents[id].Kind != kind {
				continue
			}
			taken[id] = true
			out = append(out, x.ents[id])
			if len(out) >= limit {
				return true
			}
		}
		return false
	}
	exact := slices.Clone(x.byName[f])
	slices.SortStableFunc(exact, func(a, b int32) int { return cmp.Compare(kindRank(x.ents[a].Kind), kindRank(x.ents[b].Kind)) })
	if take(exact) {
		return out
	}
	// Prefix: the names sorted after f that start with it, shortest first.
	lo := sort.Search(len(x.names), func(i int) bool { return x.names[i].folded >= f })
	var pre []scoredName
	for i := lo; i < len(x.names) && strings.HasPrefix(x.names[i].folded, f); i++ {
		pre = append(pre, scoredName{len(x.names[i].folded), x.names[i]})
	}
	if take(rankNames(x, pre)) {
		return out
	}
	var sub []scoredName
	for at := 0; ; {
		k := strings.Index(x.all[at:], f)
		if k < 0 {
			break
		}
		at += k
		i, _ := slices.BinarySearch(x.offs, at+1)
		i-- // the name holding byte at
		if x.offs[i] != at {
			// Earlier and shorter matches first.
			sub = append(sub, scoredName{(at-x.offs[i])*64 + len(x.names[i].folded), x.names[i]})
		}
		at = x.offs[i] + len(x.names[i].folded) + 1 // next name
		if at >= len(x.all) {
			break
		}
	}
	take(rankNames(x, sub))
	return out
}

// scoredName is a name hit with its rank score (lower is better).
type scoredName struct {
	score int
	n     entityName
}

// rankNames orders names by score, then kind, then name, and returns
// their entities.
func rankNames(x *entityIndex, ns []scoredName) []int32 {
	slices.SortFunc(ns, func(a, b scoredName) int {
		if c := cmp.Compare(a.score, b.score); c != 0 {
			return c
		}
		if c := cmp.Compare(kindRank(x.ents[a.n.ent].Kind), kindRank(x.ents[b.n.ent].Kind)); c != 0 {
			return c
		}
		if c := strings.Compare(a.n.folded, b.n.folded); c != 0 {
			return c
		}
		return cmp.Compare(a.n.ent, b.n.ent)
	})
	ids := make([]int32, len(ns))
	for i, n := range ns {
		ids[i] = n.n.ent
	}
	return ids
}

// Resolve maps an id or any alias of the given kind to its entity. An id
// wins over a name; of two entities sharing a name, the first catalogued.
func (t *Tagger) Resolve(kind, idOrName string) (Entity, bool) {
	x := t.ents
	f := fold(idOrName)
	if f == "" {
		return Entity{}, false
	}
	if id, ok := x.byID[kind+"\x00"+f]; ok {
		return x.ents[id], true
	}
	for _, id := range x.byName[f] {
		if x.ents[id].Kind == kind {
			return x.ents[id], true
		}
	}
	return Entity{}, false
}

// Closest returns up to n entities of kind whose names are nearest to name
// (edit distance over labels and aliases), for "did you mean" messages.
// Ties go to the shorter label, then alphabetical order.
func (t *Tagger) Closest(kind, name string, n int) []Entity {
	x := t.ents
	f := []rune(fold(name))
	if len(f) == 0 || n <= 0 {
		return nil
	}
	best := map[int32]int{}
	var buf []int
	for _, nm := range x.names {
		e := &x.ents[nm.ent]
		if kind != "" && e.Kind != kind || fold(e.ID) == nm.folded && e.Kind != KindKeyword && e.Kind != KindCountry {
			continue // opaque ids (QIDs, t-…) are no names to suggest from
		}
		// A name is as near as its nearest word: "Puttin" is one edit from
		// "Vladimir Putin".
		var d int
		d, buf = editDistance(f, nm.folded, buf)
		if strings.IndexByte(nm.folded, ' ') >= 0 {
			for _, w := range strings.Fields(nm.folded) {
				var dw int
				if dw, buf = editDistance(f, w, buf); dw < d {
					d = dw
				}
			}
		}
		if old, ok := best[nm.ent]; !ok || d < old {
			best[nm.ent] = d
		}
	}
	ids := make([]int32, 0, len(best))
	for id := range best {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int32) int {
		if c := cmp.Compare(best[a], best[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(len(x.ents[a].Label), len(x.ents[b].Label)); c != 0 {
			return c
		}
		if c := strings.Compare(x.ents[a].Label, x.ents[b].Label); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	if len(ids) > n {
		ids = ids[:n]
	}
	out := make([]Entity, len(ids))
	for i, id := range ids {
		out[i] = x.ents[id]
	}
	return out
}

// editDistance is the Levenshtein distance between a and the runes of b,
// using buf as its row.
func editDistance(a []rune, b string, buf []int) (int, []int) {
	buf = slices.Grow(buf[:0], len(a)+1)[:len(a)+1]
	for i := range buf {
		buf[i] = i
	}
	j := 0
	for _, rb := range b {
		j++
		prev := buf[0]
		buf[0] = j
		for i, ra := range a {
			cur := buf[i+1]
			cost := 1
			if ra == rb {
				cost = 0
			}
			buf[i+1] = min(buf[i+1]+1, buf[i]+1, prev+cost)
			prev = cur
		}
	}
	return buf[len(a)], buf
}

// fold lower-cases s, strips Latin diacritics and collapses every run of
// characters other than letters and digits into one space: "Côte d’Ivoire"
// and "cote d'ivoire" fold alike.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r < utf8.RuneSelf {
			switch {
			case r >= 'A' && r <= 'Z':
				r += 'a' - 'A'
			case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			default:
				space = b.Len() > 0
				continue
			}
		} else {
			if unicode.Is(unicode.Mn, r) {
				continue
			}
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				space = b.Len() > 0
				continue
			}
			r = unicode.ToLower(r)
			if a, ok := latinFold[r]; ok {
				if space {
					b.WriteByte(' ')
					space = false
				}
				b.WriteString(a)
				continue
			}
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// latinFold maps lower-case Latin letters with diacritics to their base
// letters.
var latinFold = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'þ': "th", 'ł': "l", 'ı': "i", 'ħ': "h"}
	groups := map[string]string{
		"a": "àáâãäåāăąǎạảấầẩẫậắằẳẵặ", "c": "çćĉċč", "d": "ď", "e": "èéêëēĕėęěẹẻẽếềểễệ", "g": "ĝğġģ",
		"h": "ĥ", "i": "ìíîïĩīĭįǐỉị", "j": "ĵ", "k": "ķ", "l": "ĺļľŀ", "n": "ñńņňŉ", "o": "òóôõöōŏőơǒọỏốồổỗộớờởỡợ",
		"r": "ŕŗř", "s": "śŝşšș", "t": "ţťŧț", "u": "ùúûüũūŭůűųưǔụủứừửữự", "w": "ŵ", "y": "ýÿŷỳỵỷỹ", "z": "źżž",
	}
	for base, rs := range groups {
		for _, r := range rs {
			m[r] = base
		}
	}
	return m
}()
