package enrich

import "strings"

// signersAfter adds the parties that sign the treaty named by head h in
// a relative clause right after it: "the agreement the two countries
// signed", "the withdrawal agreement that Johnson signed with the EU".
func (d *doc) signersAfter(h hit, signers map[string]bool) {
	toks := d.toks[h.field]
	w := &d.t.w
	sent := toks[h.i].sent
	j := int(h.j)
	if j < len(toks) && (toks[j].id == w.that || toks[j].id == w.which) && toks[j].flags&fBreak == 0 {
		j++
	}
	for k := j; k < len(toks) && k < j+6 && toks[k].sent == sent && toks[k].flags&fBreak == 0; k++ {
		if !d.isAction(h.field, k) {
			continue
		}
		if k == j || d.negated(h.field, k) {
			return
		}
		d.collectParties(h.field, j, sent, k-j, signers)
		if len(signers) == 0 {
			return
		}
		// "signed with the EU"
		for a := k + 1; a < len(toks) && a <= k+2 && toks[a].sent == sent; a++ {
			if toks[a].id == w.with {
				d.collectList(h.field, a+1, signers)
				break
			}
		}
		return
	}
}

// boundBy reports whether tokens k, k+1 read "bound by": "A and B are
// bound by a treaty" states its parties as signing does.
func (d *doc) boundBy(f int8, k int) bool {
	toks := d.toks[f]
	return k+1 < len(toks) && toks[k].id == d.t.w.bound && toks[k+1].id == d.t.w.by
}

// hasSignersAfter reports whether signersAfter finds two parties.
func (d *doc) hasSignersAfter(h hit) bool {
	s := map[string]bool{}
	d.signersAfter(h, s)
	return len(s) >= 2
}

// pairAt reports whether token k opens "the two countries", "both
// leaders" and the like, and returns the last two parties named before
// it in the field within the three sentences before.
func (d *doc) pairAt(f int8, k int) []string {
	toks := d.toks[f]
	w := &d.t.w
	if k+1 >= len(toks) || toks[k].id != w.two && toks[k].id != w.both || !w.pairNoun[toks[k+1].id] || toks[k+1].flags&fBreak != 0 {
		return nil
	}
	var out []string
	sent := toks[k].sent
	for n := k - 1; n >= 0 && toks[n].sent >= sent-3 && len(out) < 2; n-- {
		if d.inDateline(f, n) {
			break
		}
		code := ""
		if c, ok := d.countryAtK(f, int32(n)); ok {
			code = d.t.g.countries[c].code
		} else if p, ok := d.leaderAtK(f, int32(n)); ok {
			code = d.countryOn(p)
		}
		if code != "" && (len(out) == 0 || out[0] != code) {
			out = append(out, code)
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}

// inDateline reports whether token k of field f lies in the body's
// opening dateline ("MONTEVIDEO, Dec 6 (Reuters) -"): a place line is a
// venue, never a party to a treaty.
func (d *doc) inDateline(f int8, k int) bool {
	if f != 2 {
		return false
	}
	if d.dlEnd < 0 {
		d.dlEnd = 0
		toks := d.toks[2]
		if len(toks) > 0 && toks[0].flags&fAllUpper != 0 {
			for n := 1; n < len(toks) && n < 12; n++ {
				sep := d.text[2][toks[n-1].end:toks[n].start]
				if strings.Contains(sep, "—") || strings.Contains(sep, "–") || strings.Contains(sep, " - ") || strings.Contains(sep, " -- ") {
					d.dlEnd = n
					break
				}
			}
		}
	}
	return k < d.dlEnd
}

// partiesNamed reports whether every party of a catalogued treaty is a
// country tagged in the article; multilateral treaties need none.
func (d *doc) partiesNamed(parties []string) bool {
	if len(parties) == 1 && parties[0] == "multilateral" {
		return true
	}
	for _, p := range parties {
		found := false
		for _, m := range d.countries {
			if d.t.g.countries[m.ent].code == p {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// clauseStart reports whether token k opens a coordinated clause: a
// conjunction after a comma (", and", ", but", ", while") or any word
// after a semicolon. Signers of a treaty are looked for in its clause only.
func (d *doc) clauseStart(f int8, k int) bool {
	toks := d.toks[f]
	if k <= 0 {
		return false
	}
	sep := d.text[f][toks[k-1].end:toks[k].start]
	if strings.Contains(sep, ";") {
		return true
	}
	return toks[k].id >= 0 && d.t.w.clauseConj[toks[k].id] && strings.TrimSpace(sep) == ","
}

// collectParties adds the countries and leaders' countries mentioned in
// tokens [from, from+n) of the sentence.
func (d *doc) collectParties(f int8, from int, sent int32, n int, parties map[string]bool) {
	toks := d.toks[f]
	for k := from; k < len(toks) && k < from+n && toks[k].sent == sent; k++ {
		if d.inDateline(f, k) {
			continue
		}
		if c, ok := d.countryAtK(f, int32(k)); ok {
			parties[d.t.g.countries[c].code] = true
			continue
		}
		if code, ok := d.t.w.legislature[toks[k].id]; ok && toks[k].flags&fCapFirst != 0 {
			parties[code] = true
			continue
		}
		if pair := d.pairAt(f, k); pair != nil {
			parties[pair[0]], parties[pair[1]] = true, true
			k++
			continue
		}
		if p, ok := d.leaderAtK(f, int32(k)); ok {
			parties[d.countryOn(p)] = true
		}
	}
}

// isAction reports whether token k of field f starts a treaty action word.
func (d *doc) isAction(f int8, k int) bool {
	return d.tokBit(f, int32(k), bAction)
}

// negated reports whether the action word at token k is negated by one of
// the three words before it in its sentence ("would not extend", "never
// ratified", "refused to sign").
func (d *doc) negated(f int8, k int) bool {
	toks := d.toks[f]
	for n := k - 1; n >= 0 && n >= k-3 && toks[n].sent == toks[k].sent; n-- {
		if toks[n].id >= 0 && d.t.w.neg[toks[n].id] {
			return true
		}
	}
	return false
}

// nearestPartyBefore returns the country of the nearest country or leader
// mention before token end in the sentence that is not in skip.
func (d *doc) nearestPartyBefore(f int8, end int, sent int32, skip map[string]bool) string {
	toks := d.toks[f]
	for k := end - 1; k >= 0 && toks[k].sent == sent && !d.inDateline(f, k); k-- {
		if c, ok := d.countryAtK(f, int32(k)); ok {
			if code := d.t.g.countries[c].code; !skip[code] {
				return code
			}
			continue
		}
		if p, ok := d.leaderAtK(f, int32(k)); ok {
			if code := d.countryOn(p); !skip[code] {
				return code
			}
		}
		if code, ok := d.t.w.legislature[toks[k].id]; ok && toks[k].flags&fCapFirst != 0 && !skip[code] {
			return code
		}
	}
	return ""
}

// collectList adds the parties of a list starting at token k ("Russia and
// North Korea", "President Xi, Russia and Iran"), stopping at the first
// word that is neither a party, a title nor a list word.
func (d *doc) collectList(f int8, k int, parties map[string]bool) {
	toks := d.toks[f]
	w := &d.t.w
	sent := toks[k-1].sent
	for k < len(toks) && toks[k].sent == sent {
		if c, ok := d.countryAtK(f, int32(k)); ok {
			parties[d.t.g.countries[c].code] = true
			k = int(d.countryStopAt(f, int32(k)))
			continue
		}
		if p, ok := d.leaderAtK(f, int32(k)); ok {
			parties[d.countryOn(p)] = true
			for k < len(toks) {
				if q, ok := d.leaderAtK(f, int32(k)); !ok || q != p {
					break
				}
				k++
			}
			continue
		}
		if id := toks[k].id; id >= 0 && (id == w.and || id == w.or || id == w.the || w.listWord[id] || d.tokBit(f, int32(k), bTitleTok)) {
			k++
			continue
		}
		break
	}
}
