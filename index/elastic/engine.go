package elastic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Engine names the product behind the Elasticsearch API.
type Engine string

// Engines. EngineAuto (or "") detects the product from GET /.
const (
	EngineAuto          Engine = "auto"
	EngineElasticsearch Engine = "elasticsearch"
	EngineOpenSearch    Engine = "opensearch"
)

// ParseEngine reads an engine name as given on the command line.
func ParseEngine(s string) (Engine, error) {
	switch e := Engine(strings.ToLower(strings.TrimSpace(s))); e {
	case "", EngineAuto:
		return EngineAuto, nil
	case EngineElasticsearch, EngineOpenSearch:
		return e, nil
	default:
		return "", fmt.Errorf("engine %q: want auto, elasticsearch or opensearch", s)
	}
}

// EngineInfo is what GET / says about the engine: its product and version.
type EngineInfo struct {
	Engine       Engine
	Version      string // as reported, e.g. "7.10.2" or "2.19.1"
	Major, Minor int
}

func (e EngineInfo) String() string {
	if e.Version == "" {
		return string(e.Engine)
	}
	return string(e.Engine) + " " + e.Version
}

// atLeast reports whether the version is major.minor or newer.
func (e EngineInfo) atLeast(major, minor int) bool {
	return e.Major > major || (e.Major == major && e.Minor >= minor)
}

// Supported engines: Elasticsearch 7.10 and newer (8 and 9 natively),
// OpenSearch 1 and newer (tested with 2.x). Both forked or kept the APIs
// the store uses: composable index templates, aliases with
// is_write_index, _rollover, _bulk with external versioning,
// search_after.
const (
	minESMajor, minESMinor = 7, 10
	minOSMajor             = 1
)

// rootInfo is the part of the answer to GET / that identifies the engine.
type rootInfo struct {
	Version struct {
		Number       string `json:"number"`
		Distribution string `json:"distribution"`
	} `json:"version"`
	Tagline string `json:"tagline"`
}

// identify turns the answer to GET / into an EngineInfo, or says why the
// server is not an engine this store supports.
func identify(body []byte) (EngineInfo, error) {
	var r rootInfo
	if err := json.Unmarshal(body, &r); err != nil {
		return EngineInfo{}, fmt.Errorf("the answer to GET / is not JSON (%w): %.120q", err, body)
	}
	info := EngineInfo{Engine: EngineElasticsearch, Version: r.Version.Number}
	if strings.EqualFold(r.Version.Distribution, "opensearch") {
		info.Engine = EngineOpenSearch
	}
	maj, min, ok := parseVersion(r.Version.Number)
	if !ok {
		return EngineInfo{}, fmt.Errorf("GET / reports no version number the store can read (%q)", r.Version.Number)
	}
	info.Major, info.Minor = maj, min
	switch info.Engine {
	case EngineOpenSearch:
		if maj < minOSMajor {
			return info, fmt.Errorf("version %s of OpenSearch is not supported (want %d.0 or newer)", info.Version, minOSMajor)
		}
	default:
		if r.Tagline != "You Know, for Search" {
			return info, fmt.Errorf("the server is neither Elasticsearch nor OpenSearch (tagline %q, version %q)", r.Tagline, r.Version.Number)
		}
		if !info.atLeast(minESMajor, minESMinor) {
			return info, fmt.Errorf("version %s of Elasticsearch is not supported (want %d.%d or newer)", info.Version, minESMajor, minESMinor)
		}
	}
	return info, nil
}

func parseVersion(v string) (major, minor int, ok bool) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	return major, minor, err1 == nil && err2 == nil
}

// productCheck is the HTTP transport under the client. go-elasticsearch v8
// accepts only servers that send "X-Elastic-Product: Elasticsearch", which
// Elasticsearch sends from 7.14 on but 7.10 to 7.13 and OpenSearch do not.
// productCheck takes over that check: the first answer without the header
// makes it read GET / once, and when the server is a supported engine (see
// identify) it marks the answers with the header so that the client goes
// on. An unsupported server stays refused, with the reason. When the
// operator names the engine (Config.Engine), GET / is not read: the name
// is trusted (for clusters that refuse GET / to the store's credentials).
type productCheck struct {
	base    http.RoundTripper
	forced  Engine
	metrics *Metrics

	mu       sync.Mutex
	verified bool
	info     EngineInfo
}

// productHeader is the header the client checks and its expected value.
const productHeader, productName = "X-Elastic-Product", "Elasticsearch"

func (p *productCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := p.base.RoundTrip(req)
	code := 0
	if err == nil {
		code = res.StatusCode
	}
	p.metrics.observe(start, code, err)
	if err != nil || res.Header.Get(productHeader) == productName {
		return res, err
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res, nil // the client checks successful answers only
	}
	if err := p.verify(req); err != nil {
		res.Body.Close()
		return nil, err
	}
	res.Header.Set(productHeader, productName)
	return res, nil
}

// verify identifies the server behind req once; a failure to reach it is
// not remembered, so the next request tries again.
func (p *productCheck) verify(req *http.Request) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.verified {
		return nil
	}
	if p.forced != "" && p.forced != EngineAuto {
		p.verified, p.info = true, EngineInfo{Engine: p.forced}
		return nil
	}
	root := req.URL.JoinPath("/")
	root.Path, root.RawPath, root.RawQuery = "/", "", ""
	probe, err := http.NewRequestWithContext(req.Context(), http.MethodGet, root.String(), nil)
	if err != nil {
		return fmt.Errorf("identify engine: %w", err)
	}
	for _, h := range []string{"Authorization", "User-Agent"} {
		if v := req.Header.Get(h); v != "" {
			probe.Header.Set(h, v)
		}
	}
	res, err := p.base.RoundTrip(probe)
	if err != nil {
		return fmt.Errorf("identify engine: GET %s: %w", root.Redacted(), err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("identify engine: read GET /: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("identify engine: GET / answered %d (name the engine with --es-engine if the credentials may not read it): %.200s", res.StatusCode, body)
	}
	info, err := identify(body)
	if err != nil {
		return fmt.Errorf("identify engine at %s: %w", root.Redacted(), err)
	}
	p.verified, p.info = true, info
	return nil
}

// ErrUnsupportedEngine is wrapped by Engine's error when the server is not
// an engine the store supports.
var ErrUnsupportedEngine = errors.New("unsupported engine")

// Engine reads GET / and reports the engine and version. With
// Config.Engine set, a server of another product is an error.
func (s *Store) Engine(ctx context.Context) (EngineInfo, error) {
	s.engineMu.Lock()
	defer s.engineMu.Unlock()
	if s.engine.Engine != "" {
		return s.engine, nil
	}
	res, err := s.es.Info(s.es.Info.WithContext(ctx))
	if err != nil {
		return EngineInfo{}, fmt.Errorf("get engine info: %w", err)
	}
	if res.IsError() {
		err := readError(res)
		if s.cfg.Engine != "" && s.cfg.Engine != EngineAuto {
			// Named by the operator; GET / may be forbidden to us.
			s.engine = EngineInfo{Engine: s.cfg.Engine}
			s.log.Info("engine named by configuration; GET / not readable", zap.Error(err))
			return s.engine, nil
		}
		return EngineInfo{}, fmt.Errorf("get engine info: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return EngineInfo{}, fmt.Errorf("read engine info: %w", err)
	}
	info, err := identify(body)
	forced := s.cfg.Engine != "" && s.cfg.Engine != EngineAuto
	if err != nil && forced {
		// Named by the operator: trusted, as the product check does.
		s.engine = EngineInfo{Engine: s.cfg.Engine}
		s.log.Warn("engine named by configuration; GET / does not identify it", zap.Error(err))
		return s.engine, nil
	}
	if err != nil {
		return EngineInfo{}, fmt.Errorf("%w: %w", ErrUnsupportedEngine, err)
	}
	if s.cfg.Engine != "" && s.cfg.Engine != EngineAuto && s.cfg.Engine != info.Engine {
		return EngineInfo{}, fmt.Errorf("%w: configured for %s but the server is %s", ErrUnsupportedEngine, s.cfg.Engine, info)
	}
	s.engine = info
	return info, nil
}
