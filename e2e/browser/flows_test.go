package browser

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

const pyongyang = "Putin and Kim sign defence treaty in Pyongyang on first visit in 24 years"

func hitTitles(p *page) []string {
	return evalAs[[]string](p, `Array.from(document.querySelectorAll("#hits .hit-title")).map((e) => e.innerText)`)
}

// search types a query into the search box, reached by Tab, and submits
// it with Enter.
func search(p *page, q string) {
	p.t.Helper()
	p.tabTo("the search box", `el.id === "q"`)
	p.press(q)
	p.press(kb.Enter)
	p.waitFor("the answer to "+q, `new URLSearchParams(location.search).get("q") === `+jsString(q)+` && document.querySelector("#status").textContent !== "Searching…"`)
}

func TestSearchAndUnderstoodChips(t *testing.T) {
	p := newPage(t)
	p.open("/")
	search(p, "DPRK Russia treaty")
	if titles := hitTitles(p); len(titles) == 0 || !strings.Contains(strings.Join(titles, "\n"), pyongyang) {
		t.Fatalf("hits %q lack the Pyongyang treaty article", titles)
	}
	chips := p.text("#chips")
	if !strings.Contains(chips, "the country North Korea for “DPRK”") || !strings.Contains(chips, "the country Russia for “Russia”") {
		t.Fatalf("understood chips %q", chips)
	}
	p.tabTo("the remove button of the North Korea chip", `el.classList.contains("chip-x") && el.getAttribute("aria-label").includes("North Korea for")`)
	p.press(kb.Enter)
	p.waitFor("the DPRK reading to be off", `location.search.includes("literal=country%3AKP")`)
	p.waitFor("the chip to go", `!document.querySelector("#chips").innerText.includes("North Korea for")`)
	p.checkConsole()
}

func TestFacetExcludeAndChip(t *testing.T) {
	p := newPage(t)
	p.open("/")
	all := p.text("#status")
	p.tabTo("the North Korea facet", `el.classList.contains("facet") && el.innerText.includes("North Korea")`)
	p.press(kb.Enter)
	p.waitFor("the country filter", `new URLSearchParams(location.search).get("country") === "KP"`)
	p.waitFor("the filtered answer", `document.querySelector("#chips").innerText.includes("North Korea")`)
	if got := p.text("#status"); got == all {
		t.Errorf("status %q did not change with the filter", got)
	}
	p.tabTo("the remove button of the country chip", `el.classList.contains("chip-x") && el.getAttribute("aria-label") === "Remove filter Country: North Korea"`)
	p.press(kb.Enter)
	p.waitFor("the filter to go", `!location.search.includes("country=KP")`)

	p.tabTo("the exclude button of United States", `el.classList.contains("exclude") && el.getAttribute("aria-label") === "Exclude country United States"`)
	p.press(kb.Enter)
	p.waitFor("the exclusion", `location.search.includes("not_country=US")`)
	p.waitFor("the exclusion chip", `!!document.querySelector("#chips .chip-not")`)
	p.checkConsole()
}

func TestPaging(t *testing.T) {
	p := newPage(t)
	p.open("/")
	if n := len(hitTitles(p)); n != 20 {
		t.Fatalf("first page has %d hits, want 20", n)
	}
	if sel := evalAs[string](p, `document.querySelector("#sort").value`); sel != "newest" {
		t.Errorf("empty query sorts by %q, want newest", sel)
	}
	// The skip link jumps over the form and the filters.
	p.tabTo("the skip link", `el.classList.contains("skip")`)
	p.press(kb.Enter)
	p.tabTo("the more button", `el.id === "more"`)
	p.press(kb.Enter)
	p.waitFor("the second page", `document.querySelectorAll("#hits .hit").length === 40`)
	p.waitFor("focus on the first new hit", `document.activeElement === document.querySelectorAll("#hits .hit")[20].querySelector("a")`)
	p.checkConsole()
}

func TestCollapsedStory(t *testing.T) {
	p := newPage(t)
	p.open("/")
	search(p, "ratification instruments exchange")
	story := p.text("#hits .story")
	if !strings.Contains(story, "1 other copy from") {
		t.Fatalf("story line %q, want one other copy", story)
	}
	before := len(hitTitles(p))
	p.tabTo("show all copies", `el.classList.contains("story-all")`)
	p.press(kb.Enter)
	p.waitFor("all copies of the story", `location.search.includes("collapse=false") && location.search.includes("story=")`)
	p.waitFor("two copies listed", `document.querySelectorAll("#hits .hit").length === 2`)
	if before < 1 {
		t.Errorf("collapsed answer had %d hits", before)
	}
	p.checkConsole()
}

func TestDetailAndTreatyViews(t *testing.T) {
	p := newPage(t)
	p.open("/")
	search(p, "DPRK Russia treaty")
	p.tabTo("the Pyongyang article", `el.classList.contains("open-article") && el.innerText === `+jsString(pyongyang))
	p.press(kb.Enter)
	p.waitFor("the article view", `!document.querySelector("#detail-view").hidden && !!document.querySelector(".article-title")`)
	if got := p.text(".article-title"); got != pyongyang {
		t.Errorf("article title %q", got)
	}
	if !evalAs[bool](p, `document.activeElement === document.querySelector(".article-title")`) {
		t.Error("the article heading does not take the focus")
	}
	if n := evalAs[int](p, `document.querySelectorAll(".article-body .ent-country").length`); n < 3 {
		t.Errorf("%d highlighted country mentions in the body", n)
	}
	if href := evalAs[string](p, `(document.querySelector("a.original") || {}).href || ""`); !strings.HasPrefix(href, "https://") {
		t.Errorf("original link %q", href)
	}

	p.tabTo("the treaty tag", `el.classList.contains("tag-treaty")`)
	p.press(kb.Enter)
	p.waitFor("the treaty view", `!!document.querySelector(".treaty-timeline")`)
	if h := p.text(".treaty h2"); !strings.Contains(h, "Comprehensive Strategic Partnership") {
		t.Errorf("treaty heading %q", h)
	}
	tl := strings.ToLower(p.text(".treaty-timeline"))
	if !strings.Contains(tl, "19 jun 2024") || !strings.Contains(tl, "signed") || !strings.Contains(tl, "ratified") {
		t.Errorf("timeline %q lacks signed on 19 Jun 2024 and ratified", tl)
	}
	p.tabTo("back to results", `el.classList.contains("back")`)
	p.press(kb.Enter)
	p.waitFor("the results again", `!document.querySelector("#search-view").hidden && document.querySelectorAll("#hits .hit").length > 0`)

	// A story's other copies show in the article view.
	p.open("/?q=" + "ratification+instruments+exchange")
	p.tabTo("a ratification article", `el.classList.contains("open-article") && /ratif|approves/.test(el.innerText)`)
	p.press(kb.Enter)
	p.waitFor("the copies of the story", `!!document.querySelector(".copy-list li")`)
	p.checkConsole()
}

func TestExportDownload(t *testing.T) {
	p := newPage(t)
	p.open("/?q=treaty")
	p.tabTo("the CSV export link", `el.id === "export-csv"`)
	p.press(kb.Enter)
	var rows [][]string
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && rows == nil {
		time.Sleep(200 * time.Millisecond)
		files, _ := os.ReadDir(p.download)
		for _, f := range files {
			if strings.HasSuffix(f.Name(), ".crdownload") {
				continue
			}
			b, err := os.ReadFile(filepath.Join(p.download, f.Name()))
			if err != nil || !strings.HasSuffix(string(b), "\n") {
				continue
			}
			if r, err := csv.NewReader(strings.NewReader(string(b))).ReadAll(); err == nil {
				rows = r
			}
		}
	}
	if len(rows) < 2 || rows[0][0] != "id" || rows[0][3] != "title" {
		t.Fatalf("downloaded CSV %v, want a header and rows", rows)
	}
	want := len(hitTitles(p))
	if len(rows)-1 != want {
		t.Errorf("CSV has %d rows, the page %d hits", len(rows)-1, want)
	}
	p.checkConsole()
}

func TestNarrowScreenDrawer(t *testing.T) {
	p := newPage(t)
	p.do("narrow viewport", chromedp.EmulateViewport(400, 800))
	p.open("/")
	if evalAs[bool](p, `document.querySelector("#drawer").open`) {
		t.Error("the filters drawer is open on a 400 px screen")
	}
	if !evalAs[bool](p, `document.querySelector("#drawer").getBoundingClientRect().top < document.querySelector("#results").getBoundingClientRect().top`) {
		t.Error("the filters drawer is not above the results")
	}
	if w := evalAs[int](p, `document.documentElement.scrollWidth`); w > 400 {
		t.Errorf("page is %d px wide on a 400 px screen", w)
	}
	p.tabTo("the drawer toggle", `el.tagName === "SUMMARY"`)
	p.press(kb.Enter)
	p.waitFor("the drawer to open", `document.querySelector("#drawer").open`)
	p.checkConsole()
}

// TestSubjectFacet: the "about" button of a country facet asks for the
// articles about the country (subject=), which the Subject countries
// facet group and a chip then show; removing the chip lifts it.
func TestSubjectFacet(t *testing.T) {
	p := newPage(t)
	p.open("/")
	p.waitFor("the subject countries facet", `!!document.querySelector("#facet-subject")`)
	p.tabTo("the about button of United States", `el.classList.contains("subject-toggle") && el.getAttribute("aria-label") === "Only articles about United States"`)
	all := p.text("#status")
	p.press(kb.Enter)
	p.waitFor("the subject filter", `new URLSearchParams(location.search).get("subject") === "US" && !location.search.includes("country=")`)
	p.waitFor("the subject chip", `[...document.querySelectorAll("#chips .chip")].some((c) => c.textContent.includes("Subject country") && c.textContent.includes("United States"))`)
	p.waitFor("the active subject facet", `[...document.querySelectorAll("section[aria-labelledby=facet-subject] .facet.on")].some((b) => b.innerText.includes("United States"))`)
	if got := p.text("#status"); got == all {
		t.Errorf("status %q did not change with the subject filter", got)
	}
	p.tabTo("the remove button of the subject chip", `el.classList.contains("chip-x") && el.getAttribute("aria-label") === "Remove filter Subject country: United States"`)
	p.press(kb.Enter)
	p.waitFor("the filter to go", `!location.search.includes("subject=US")`)
	p.checkConsole()
}
