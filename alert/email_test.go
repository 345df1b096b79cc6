package alert

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"go.uber.org/zap"

	"github.com/newswire/newswire/alert/match"
	"github.com/newswire/newswire/consumers"
)

// mailbox is a real SMTP server on loopback (go-smtp) that offers
// STARTTLS with a certificate made for the test, requires AUTH PLAIN
// after it, and keeps what it receives.
type mailbox struct {
	srv  *smtp.Server
	addr string
	pool *x509.CertPool

	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data []byte
	user string
	tls  bool
}

const (
	testSMTPUser = "alerts"
	testSMTPPass = "s3cret-pass"
)

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	mb := &mailbox{pool: x509.NewCertPool()}
	mb.pool.AddCert(cert)
	mb.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{mb: mb, conn: c}, nil
	}))
	mb.srv.Domain = "localhost"
	mb.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	mb.srv.ReadTimeout, mb.srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = ln.Addr().String()
	done := make(chan struct{})
	go func() { defer close(done); _ = mb.srv.Serve(ln) }()
	t.Cleanup(func() { _ = mb.srv.Close(); <-done })
	return mb
}

func (mb *mailbox) received() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.msgs...)
}

type mailSession struct {
	mb   *mailbox
	conn *smtp.Conn
	user string
	cur  received
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != testSMTPUser || pass != testSMTPPass {
			return errors.New("invalid credentials")
		}
		s.user = user
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.user == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasSuffix(to, "@refused.example") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data, s.cur.user = b, s.user
	_, s.cur.tls = s.conn.TLSConnectionState()
	s.mb.mu.Lock()
	s.mb.msgs = append(s.mb.msgs, s.cur)
	s.mb.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.cur = received{} }
func (s *mailSession) Logout() error { return nil }

func (mb *mailbox) config() *EmailConfig {
	return &EmailConfig{Addr: mb.addr, From: "alerts@newswire.example", Username: testSMTPUser, Password: testSMTPPass,
		ServerName: "localhost", RootCAs: mb.pool, Timeout: 5 * time.Second}
}

// parseMail reads a received message: headers, the decoded subject and
// the decoded text.
func parseMail(t *testing.T, data []byte) (*mail.Message, string, string) {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return m, subject, strings.ReplaceAll(string(body), "\r\n", "\n")
}

func TestEmailSingleAlert(t *testing.T) {
	mb := startMailbox(t)
	rules := rulesMap{"r1": {ID: "r1", Name: "Treaties", Channels: []match.Channel{
		{Type: match.ChannelEmail, To: []string{"desk@news.example", "editor@news.example"}}}}}
	st, _ := openState(t)
	cfg := fastCfg(time.Now)
	cfg.Email = mb.config()
	d, err := NewDeliveryStage(rules, st, nil, cfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	msg := alertMsg(t, "r1", "a1")
	res, err := d.Process(context.Background(), []consumers.Record{msg})
	if err != nil || res[0].Err != nil {
		t.Fatalf("process: %v %v", err, res[0].Err)
	}
	got := mb.received()
	if len(got) != 1 {
		t.Fatalf("%d messages, want 1", len(got))
	}
	r := got[0]
	if !r.tls || r.user != testSMTPUser || r.from != "alerts@newswire.example" || strings.Join(r.to, ",") != "desk@news.example,editor@news.example" {
		t.Errorf("envelope: tls=%v user=%q from=%q to=%v", r.tls, r.user, r.from, r.to)
	}
	m, subject, body := parseMail(t, r.data)
	if subject != "[Rule r1] Kim and Putin sign strategic partnership treaty" {
		t.Errorf("subject %q", subject)
	}
	if m.Header.Get(HeaderDelivery) != "r1/a1" || m.Header.Get(HeaderEvent) != TypeAlert || m.Header.Get("Message-ID") == "" {
		t.Errorf("headers %v", m.Header)
	}
	for _, want := range []string{"Kim and Putin sign strategic partnership treaty\nhttps://news.example/a1\n", "Source: Reuters", "North Korea and Russia"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	// Redelivery of the record sends nothing again.
	if res, err := d.Process(context.Background(), []consumers.Record{msg}); err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	if n := len(mb.received()); n != 1 {
		t.Errorf("redelivery sent %d messages in all", n)
	}
}

func TestEmailDigest(t *testing.T) {
	mb := startMailbox(t)
	rules := rulesMap{"r1": {ID: "r1", Name: "Summits", Throttle: "10m", Channels: []match.Channel{
		{Type: match.ChannelEmail, To: []string{"desk@news.example"}}}}}
	st, _ := openState(t)
	clk := &fakeClock{t: t0}
	cfg := fastCfg(clk.Now)
	cfg.Email = mb.config()
	d, err := NewDeliveryStage(rules, st, nil, cfg, nil, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	var batch []consumers.Record
	for _, id := range []string{"a1", "a2", "a3"} {
		batch = append(batch, alertMsg(t, "r1", id))
	}
	if _, err := d.Process(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := len(mb.received()); n != 1 {
		t.Fatalf("%d messages in the first period, want 1", n)
	}
	clk.Add(11 * time.Minute)
	if err := d.FlushDigests(ctx); err != nil {
		t.Fatal(err)
	}
	got := mb.received()
	if len(got) != 2 {
		t.Fatalf("%d messages, want the alert and the digest", len(got))
	}
	m, subject, body := parseMail(t, got[1].data)
	if subject != "[Summits] 2 more articles" || m.Header.Get(HeaderEvent) != TypeDigest ||
		!strings.HasPrefix(m.Header.Get(HeaderDelivery), "r1/digest/") {
		t.Errorf("digest subject %q, headers %v", subject, m.Header)
	}
	if strings.Count(body, "• Kim and Putin sign strategic partnership treaty\n  https://news.example/a") != 2 ||
		!strings.Contains(body, "https://news.example/a2") || !strings.Contains(body, "https://news.example/a3") {
		t.Errorf("digest body:\n%s", body)
	}
}

func TestEmailFailures(t *testing.T) {
	mb := startMailbox(t)
	for _, tc := range []struct {
		name string
		cfg  func(*EmailConfig)
		to   string
		want string
	}{
		{"refused recipient is permanent", nil, "nobody@refused.example", "550"},
		{"wrong password", func(c *EmailConfig) { c.Password = "wrong" }, "desk@news.example", "smtp auth"},
		{"untrusted certificate", func(c *EmailConfig) { c.RootCAs = x509.NewCertPool() }, "desk@news.example", "certificate"},
		{"no mail server configured", func(c *EmailConfig) { *c = EmailConfig{} }, "desk@news.example", "no mail server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rules := rulesMap{"r1": {ID: "r1", Name: "r1", Channels: []match.Channel{{Type: match.ChannelEmail, To: []string{tc.to}}}}}
			st, _ := openState(t)
			cfg := fastCfg(time.Now)
			cfg.Attempts = 2
			cfg.Email = mb.config()
			if tc.cfg != nil {
				tc.cfg(cfg.Email)
			}
			if cfg.Email.Addr == "" {
				cfg.Email = nil
			}
			d, err := NewDeliveryStage(rules, st, nil, cfg, nil, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			res, err := d.Process(context.Background(), []consumers.Record{alertMsg(t, "r1", "a1")})
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(res[0].Err, consumers.ErrPoison) || !strings.Contains(res[0].Err.Error(), tc.want) {
				t.Errorf("err = %v, want poison naming %q", res[0].Err, tc.want)
			}
		})
	}
	if n := len(mb.received()); n != 0 {
		t.Errorf("%d messages got through", n)
	}
}

func TestEmailConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  EmailConfig
		want []string // each must appear; none when valid
	}{
		{"valid", EmailConfig{Addr: "smtp.example.org", From: "a@example.org", Username: "u", Password: "p"}, nil},
		{"missing all", EmailConfig{}, []string{"smtp address required", "from address required"}},
		{"bad from and policy", EmailConfig{Addr: "smtp.example.org:25", From: "Alerts <a@example.org>", TLS: "maybe"}, []string{"from address", `tls policy "maybe"`}},
		{"clear text off loopback", EmailConfig{Addr: "smtp.example.org:25", From: "a@example.org", TLS: TLSNone}, []string{"only allowed for a loopback server"}},
		{"clear text with password", EmailConfig{Addr: "127.0.0.1:25", From: "a@example.org", TLS: TLSNone, Username: "u", Password: "p"}, []string{"clear text"}},
		{"password without user", EmailConfig{Addr: "127.0.0.1:587", From: "a@example.org", Password: "p"}, []string{"without a username"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg.WithDefaults()
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if c.Addr != "smtp.example.org:587" || c.TLS != TLSStartTLS || c.ServerName != "smtp.example.org" {
					t.Errorf("defaults: %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestEmailGolden pins the bytes of an alert message: headers, the
// MIME-encoded subject and the quoted-printable text.
func TestEmailGolden(t *testing.T) {
	e := testArticle("a1")
	ms := compileRules(t, kpRuTreaty).Match(e)
	if len(ms) != 1 {
		t.Fatalf("%d matches", len(ms))
	}
	a := NewAlert(ms[0], e, t0)
	m := newMailer(EmailConfig{Addr: "smtp.example.org:587", From: "alerts@newswire.example"}.WithDefaults())
	got := m.encode([]string{"desk@news.example"}, alertMail(a), t0)
	path := filepath.Join("testdata", "alert.golden.eml")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("message differs from %s (run with -update to accept):\n%s", path, got)
	}
}
