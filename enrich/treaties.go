package enrich

import (
	"sort"
	"strings"
)

// decideTreaties turns catalog matches and treaty words into treaty
// mentions.
//
//   - rule "catalog": a catalog name or alias.
//   - rule "described": a description ending in treaty/pact/accord/
//     agreement/convention/protocol ("a comprehensive strategic partnership
//     treaty") whose parties the sentence states: countries inside the
//     description, "between A and B", "with B", or the countries and
//     leaders who sign it. Two parties at least; a bare "a trade agreement"
//     is not a treaty. When the parties equal those of a catalogued
//     bilateral treaty concluded by the article's year, it is that treaty;
//     otherwise its id is "x-" + parties + the treaty word ("x-ru-vn-agreement").
//   - rule "anaphora": "the treaty", "the pact" after a treaty was named
//     refers to the one named last.
func (d *doc) decideTreaties() {
	t := d.t
	d.tkeyIdx = map[string]int{}
	covered := map[posKey]bool{}
	for _, h := range d.hits {
		e := d.entry(h)
		if e.kind != kTreaty {
			continue
		}
		tr := &t.g.treaties[e.target]
		d.addTreaty(h.field, h.i, h.j, d.catalogKey(int(e.target)), "catalog")
		_ = tr
		for k := h.i; k < h.j; k++ {
			covered[posKey{h.field, k}] = true
		}
	}
	// Treaty head words in reading order.
	heads := make([]hit, 0, 8)
	for _, h := range d.hits {
		if d.entry(h).kind == kHead && !covered[posKey{h.field, h.i}] {
			heads = append(heads, h)
		}
	}
	sort.Slice(heads, func(a, b int) bool {
		if heads[a].field != heads[b].field {
			return heads[a].field < heads[b].field
		}
		return heads[a].i < heads[b].i
	})
	for _, h := range heads {
		d.describedTreaty(h)
	}
}

func (d *doc) catalogKey(cat int) int {
	tr := &d.t.g.treaties[cat]
	if k, ok := d.tkeyIdx[tr.id]; ok {
		return k
	}
	d.tkeys = append(d.tkeys, treatyKey{id: tr.id, name: tr.name, cat: cat, parties: tr.parties})
	d.tkeyIdx[tr.id] = len(d.tkeys) - 1
	return len(d.tkeys) - 1
}

func (d *doc) addTreaty(f int8, i, j int32, key int, rule string) {
	d.treaties = append(d.treaties, mention{field: f, i: i, j: j, ent: key, rule: rule})
}

// describedTreaty handles one treaty word outside any catalog name.
func (d *doc) describedTreaty(h hit) {
	t := d.t
	toks := d.toks[h.field]
	i := int(h.i)
	sent := toks[i].sent
	parties := map[string]bool{}
	var nameToks []int
	// Walk back over the description.
	k := i - 1
	for n := 0; k >= 0 && n < 6; n++ {
		if toks[k+1].flags&fBreak != 0 && toks[k+1].flags&fHyphenPrev == 0 {
			break
		}
		if toks[k].sent != sent {
			break
		}
		if c, ok := d.countryEnd[posKey{h.field, int32(k + 1)}]; ok {
			parties[t.g.countries[c].code] = true
			// skip back over the country mention
			for _, m := range d.countries {
				if m.field == h.field && m.j == int32(k+1) {
					k = int(m.i) - 1
					break
				}
			}
			continue
		}
		tk := toks[k]
		if tk.id >= 0 && (t.w.stop[tk.id] || d.isAction(h.field, k)) || tk.flags&fDigit != 0 {
			break
		}
		w := strings.ToLower(d.text[h.field][tk.start:tk.end])
		if strings.HasSuffix(w, "ed") || strings.HasSuffix(w, "ing") && w != "binding" || tk.flags&fSentStart != 0 && tk.flags&fCapFirst != 0 && !d.capitalizedName(h.field, k) {
			break
		}
		if _, isLeader := d.leaderAt[posKey{h.field, int32(k)}]; isLeader {
			break
		}
		nameToks = append(nameToks, k)
		k--
	}
	descStart := i
	if len(nameToks) > 0 {
		descStart = nameToks[len(nameToks)-1]
	}
	if len(parties) > 0 && k+1 < descStart {
		descStart = k + 1
		for descStart < i && toks[descStart].id >= 0 && t.w.stop[toks[descStart].id] {
			descStart++
		}
	}
	// Anaphora: "the treaty" with nothing before it.
	if len(nameToks) == 0 && len(parties) == 0 {
		if i > 0 && (toks[i-1].id == t.w.the || toks[i-1].id == t.w.this) && len(d.treaties) > 0 {
			last := d.treaties[len(d.treaties)-1]
			if !d.before(h, last) {
				d.addTreaty(h.field, h.i, h.j, last.ent, "anaphora")
			}
		}
		return
	}
	// Capitalised forward name: "Treaty of Amity and Cooperation".
	headCap := toks[i].flags&fCapFirst != 0 && !d.titleTC
	j := int(h.j)
	if headCap && j+1 < len(toks) && (toks[j].id == t.w.of || toks[j].id == t.w.on) && toks[j+1].flags&fCapFirst != 0 {
		for j < len(toks) && toks[j].flags&fBreak == 0 && (toks[j].flags&fCapFirst != 0 || toks[j].id == t.w.of || toks[j].id == t.w.on || toks[j].id == t.w.and || toks[j].id == t.w.the) {
			j++
		}
	}
	// Parties stated after the treaty word: "between A and B", "with B".
	for k := int(h.j); k < len(toks) && k < int(h.j)+4 && toks[k].sent == sent; k++ {
		if toks[k].id == t.w.between || toks[k].id == t.w.with || toks[k].id == t.w.among {
			d.collectParties(h.field, k+1, sent, 14, parties)
			break
		}
	}
	// Signers: countries and leaders before a treaty action earlier in the sentence.
	for k := i - 1; k >= 0 && toks[k].sent == sent; k-- {
		if d.isAction(h.field, k) {
			s := k
			for s > 0 && toks[s-1].sent == sent {
				s--
			}
			d.collectParties(h.field, s, sent, k-s, parties)
			break
		}
	}
	if len(parties) < 2 {
		return
	}
	codes := make([]string, 0, len(parties))
	for c := range parties {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	// Same parties as a catalogued bilateral treaty in force by then: that treaty.
	year := d.date.Year()
	best := -1
	for ci := range t.g.treaties {
		tr := &t.g.treaties[ci]
		if tr.year <= year && equalStrings(tr.parties, codes) && (best < 0 || tr.year > t.g.treaties[best].year) {
			best = ci
		}
	}
	if best >= 0 {
		d.addTreaty(h.field, int32(descStart), int32(j), d.catalogKey(best), "described-catalogued")
		return
	}
	var words []string
	for n := len(nameToks) - 1; n >= 0; n-- {
		tk := toks[nameToks[n]]
		words = append(words, strings.ToLower(d.text[h.field][tk.start:tk.end]))
	}
	head := strings.ToLower(d.text[h.field][toks[i].start:toks[int(h.j)-1].end])
	head = singular(head)
	words = append(words, head)
	for k := int(h.j); k < j; k++ {
		words = append(words, strings.ToLower(d.text[h.field][toks[k].start:toks[k].end]))
	}
	name := strings.Join(words, " ")
	// The id depends only on the parties and the kind of instrument, so the
	// headline's "defence pact" and the body's "defence cooperation pact"
	// are one treaty; the name is the longest description seen.
	id := "x-" + slug(strings.Join(codes, "-")+"-"+head)
	key, ok := d.tkeyIdx[id]
	if !ok {
		d.tkeys = append(d.tkeys, treatyKey{id: id, name: name, cat: -1, parties: codes})
		key = len(d.tkeys) - 1
		d.tkeyIdx[id] = key
	} else if len(name) > len(d.tkeys[key].name) {
		d.tkeys[key].name = name
	}
	d.addTreaty(h.field, int32(descStart), int32(j), key, "described")
}

func singular(w string) string {
	switch w {
	case "treaties":
		return "treaty"
	case "pacts", "accords", "agreements":
		return strings.TrimSuffix(w, "s")
	}
	return w
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	as := append([]string(nil), a...)
	sort.Strings(as)
	for i := range as {
		if as[i] != b[i] {
			return false
		}
	}
	return true
}

// capitalizedName reports whether token k (at a sentence start) is part of
// a proper name, i.e. a known country or leader word.
func (d *doc) capitalizedName(f int8, k int) bool {
	_, ok := d.countryAt[posKey{f, int32(k)}]
	return ok
}

func (d *doc) before(h hit, m mention) bool {
	return h.field < m.field || h.field == m.field && h.i < m.i
}

// collectParties adds the countries and leaders' countries mentioned in
// tokens [from, from+n) of the sentence.
func (d *doc) collectParties(f int8, from int, sent int32, n int, parties map[string]bool) {
	toks := d.toks[f]
	for k := from; k < len(toks) && k < from+n && toks[k].sent == sent; k++ {
		if c, ok := d.countryAt[posKey{f, int32(k)}]; ok {
			parties[d.t.g.countries[c].code] = true
			continue
		}
		if p, ok := d.leaderAt[posKey{f, int32(k)}]; ok {
			parties[d.countryOn(p)] = true
		}
	}
}

// isAction reports whether token k of field f starts a treaty action word.
func (d *doc) isAction(f int8, k int) bool {
	return d.actionAt[posKey{f, int32(k)}]
}

// treatyAction is the action of the mention nearest to an action word in
// its sentence, taking the first mention in reading order that has one.
func (d *doc) treatyAction(key int) string {
	var ms []mention
	for _, m := range d.treaties {
		if m.ent == key {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(a, b int) bool {
		if ms[a].field != ms[b].field {
			return ms[a].field < ms[b].field
		}
		return ms[a].i < ms[b].i
	})
	for _, m := range ms {
		toks := d.toks[m.field]
		sent := toks[m.i].sent
		best, bestDist := "", 1<<30
		for _, h := range d.hits {
			if h.field != m.field || d.entry(h).kind != kAction || toks[h.i].sent != sent {
				continue
			}
			dist := int(m.i) - int(h.j)
			if h.i >= m.j {
				dist = int(h.i) - int(m.j)
			}
			if dist < 0 {
				dist = 0
			}
			if dist < bestDist {
				best, bestDist = d.t.actions[d.entry(h).target], dist
			}
		}
		if best != "" {
			return best
		}
	}
	return "mentioned"
}
