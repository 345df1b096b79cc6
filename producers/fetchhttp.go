package producers

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/newswire/newswire/internal/httpjson"
	"mime"
	"net/http"
	"strings"

	"go.uber.org/zap"
)

// maxFetchRequest caps the JSON body of a fetch request.
const maxFetchRequest = 16 << 10

// fetchRequest is the body of POST /api/v1/articles/fetch.
type fetchRequest struct {
	URL string `json:"url"`
}

// fetchResponse answers a fetch that published an article.
type fetchResponse struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Title    string `json:"title,omitempty"`
	Source   string `json:"source,omitempty"`
	BodySize int    `json:"body_bytes"`
}

// NewFetchHandler returns the handler of POST /api/v1/articles/fetch. The
// body is {"url": "https://…"}; the page is fetched (robots.txt, rate
// limits and the private-address guard of the ingester apply), its text
// and metadata extracted, and the article published. Answers:
//
//	202 {"id","url","title","source","body_bytes"}  published and acknowledged
//	200 {"result":"not_modified","url"}  unchanged since its last ingest; nothing published
//	400 / 415               malformed request
//	403 {"error","result"}  robots.txt denies the page, or its address is private
//	422 {"error","result"}  not HTML, too large, no article text, invalid article
//	502 {"error","result"}  the site failed (network or HTTP error)
//	503                     Kafka did not acknowledge; retry
//
// result is the newswire_fulltext_total label of the outcome.
//
// Authentication is the API's: the route belongs to the ingest scope.
func NewFetchHandler(ing *URLIngester, log *zap.Logger) http.Handler {
	if log == nil {
		log = zap.NewNop()
	}
	return &fetchHandler{ing: ing, log: log.With(zap.String("component", "fetch_api"))}
}

type fetchHandler struct {
	ing *URLIngester
	log *zap.Logger
}

type fetchError struct {
	Error  string `json:"error"`
	Result string `json:"result,omitempty"`
}

func (h *fetchHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpjson.Write(w, http.StatusMethodNotAllowed, fetchError{Error: "use POST"})
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			httpjson.Write(w, http.StatusUnsupportedMediaType, fetchError{Error: fmt.Sprintf("content type %q not supported: use application/json", ct)})
			return
		}
	}
	var req fetchRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFetchRequest))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		httpjson.Write(w, http.StatusBadRequest, fetchError{Error: "body must be {\"url\": \"http(s)://…\"}: " + err.Error()})
		return
	}
	if dec.More() {
		httpjson.Write(w, http.StatusBadRequest, fetchError{Error: "body must hold one JSON object"})
		return
	}
	if !isHTTPURL(strings.TrimSpace(req.URL)) {
		httpjson.Write(w, http.StatusBadRequest, fetchError{Error: fmt.Sprintf("url %q is not an absolute http or https URL", req.URL)})
		return
	}
	a, err := h.ing.Ingest(r.Context(), strings.TrimSpace(req.URL))
	if err == nil {
		httpjson.Write(w, http.StatusAccepted, fetchResponse{ID: a.ID, URL: a.URL, Title: a.Title, Source: a.Source, BodySize: len(a.Body)})
		return
	}
	result := fullTextResult(err)
	status := http.StatusBadGateway
	switch {
	case errors.As(err, new(*errPublish)):
		h.log.Warn("fetched article not acknowledged", zap.String("url", req.URL), zap.Error(err))
		httpjson.Write(w, http.StatusServiceUnavailable, fetchError{Error: "article not acknowledged by Kafka, retry: " + err.Error()})
		return
	case result == ftNotModified:
		httpjson.Write(w, http.StatusOK, map[string]string{"result": ftNotModified, "url": req.URL})
		return
	case result == ftRobots || result == ftBlocked:
		status = http.StatusForbidden
	case result == ftNotHTML || result == ftTooLarge || result == ftNoText || result == ftInvalid:
		status = http.StatusUnprocessableEntity
	}
	httpjson.Write(w, status, fetchError{Error: err.Error(), Result: result})
}
