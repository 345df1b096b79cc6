package alert

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"github.com/newswire/newswire/alert/match"
)

// TLS policies of EmailConfig.
const (
	// TLSStartTLS upgrades the connection with STARTTLS and refuses a
	// server that does not offer it (the default; port 587).
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465).
	TLSImplicit = "tls"
	// TLSNone sends in clear text; allowed only to a loopback server
	// (a local relay), and never with a password.
	TLSNone = "none"
)

// Defaults of EmailConfig, and the environment variable the password is
// read from by the command line.
const (
	DefaultSMTPPort     = "587"
	DefaultEmailTLS     = TLSStartTLS
	DefaultEmailTimeout = 10 * time.Second
	EnvSMTPPassword     = "NEWSWIRE_SMTP_PASSWORD"
)

// EmailConfig is the mail server of email channels.
type EmailConfig struct {
	Addr     string // host:port of the SMTP server (port DefaultSMTPPort when omitted); required
	From     string // envelope and header sender, a bare address; required
	Username string // for AUTH PLAIN; empty: no authentication
	Password string // read from EnvSMTPPassword, never from a flag
	TLS      string // TLSStartTLS (default), TLSImplicit or TLSNone
	// ServerName is the name the server's certificate must carry (default
	// the host of Addr).
	ServerName string
	// RootCAs verifies the server's certificate (default the system
	// pool).
	RootCAs *x509.CertPool
	// HelloName is sent in EHLO (default "localhost").
	HelloName string
	// Timeout bounds one whole message: connect, TLS, auth and data.
	Timeout time.Duration
}

// WithDefaults returns c with defaults filled in.
func (c EmailConfig) WithDefaults() EmailConfig {
	if c.Addr != "" {
		var ae *net.AddrError
		if _, _, err := net.SplitHostPort(c.Addr); errors.As(err, &ae) && ae.Err == "missing port in address" {
			c.Addr = net.JoinHostPort(strings.Trim(c.Addr, "[]"), DefaultSMTPPort)
		}
	}
	if c.TLS == "" {
		c.TLS = DefaultEmailTLS
	}
	if c.HelloName == "" {
		c.HelloName = "localhost"
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultEmailTimeout
	}
	if c.ServerName == "" {
		if h, _, err := net.SplitHostPort(c.Addr); err == nil {
			c.ServerName = h
		}
	}
	return c
}

// Validate reports every problem of a configuration with defaults
// applied.
func (c EmailConfig) Validate() error {
	var errs []error
	host, _, err := net.SplitHostPort(c.Addr)
	if c.Addr == "" {
		errs = append(errs, errors.New("smtp address required (host:port)"))
	} else if err != nil || host == "" {
		errs = append(errs, fmt.Errorf("smtp address %q is not host:port", c.Addr))
	}
	if c.From == "" {
		errs = append(errs, errors.New("from address required"))
	} else if err := match.CheckMailAddress(c.From); err != nil {
		errs = append(errs, fmt.Errorf("from address: %w", err))
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			errs = append(errs, fmt.Errorf("tls policy %q is only allowed for a loopback server, not %q", TLSNone, host))
		}
		if c.Password != "" {
			errs = append(errs, fmt.Errorf("tls policy %q would send the password in clear text", TLSNone))
		}
	default:
		errs = append(errs, fmt.Errorf("tls policy %q is not %s, %s or %s", c.TLS, TLSStartTLS, TLSImplicit, TLSNone))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("smtp password given without a username"))
	}
	if strings.ContainsAny(c.HelloName, "\r\n ") {
		errs = append(errs, fmt.Errorf("hello name %q holds spaces or line breaks", c.HelloName))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("smtp timeout must be positive, got %s", c.Timeout))
	}
	if len(errs) > 0 {
		return fmt.Errorf("email config: %w", errors.Join(errs...))
	}
	return nil
}

// mailer sends one message per SMTP session (alerts are few; a session
// per message keeps failures of one recipient list apart from another's).
type mailer struct {
	cfg EmailConfig
}

func newMailer(cfg EmailConfig) *mailer { return &mailer{cfg: cfg} }

// mailMessage is one message before encoding.
type mailMessage struct {
	id      string // delivery id: X-Newswire-Delivery and the Message-ID
	typ     string // TypeAlert or TypeDigest
	subject string
	text    string
}

// send delivers msg to every recipient in one SMTP transaction. A 5xx
// reply (a refused sender or recipient, failed authentication) is
// permanent; connection problems and 4xx replies are transient.
func (m *mailer) send(ctx context.Context, to []string, msg mailMessage) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	dl, _ := ctx.Deadline()
	var conn net.Conn
	var err error
	nd := &net.Dialer{}
	if m.cfg.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: nd, Config: m.tlsConfig()}).DialContext(ctx, "tcp", m.cfg.Addr)
	} else {
		conn, err = nd.DialContext(ctx, "tcp", m.cfg.Addr)
	}
	if err != nil {
		return fmt.Errorf("connect to mail server: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	_ = conn.SetDeadline(dl)
	c, err := smtp.NewClient(conn, m.cfg.ServerName)
	if err != nil {
		_ = conn.Close()
		return smtpError("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(m.cfg.HelloName); err != nil {
		return smtpError("hello", err)
	}
	if m.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return &permanentError{errors.New("mail server does not offer STARTTLS (tls policy starttls)")}
		}
		if err := c.StartTLS(m.tlsConfig()); err != nil {
			return smtpError("starttls", err)
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, m.cfg.ServerName)); err != nil {
			return smtpError("auth", err)
		}
	}
	if err := c.Mail(m.cfg.From); err != nil {
		return smtpError("mail from", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return smtpError("rcpt to "+r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("data", err)
	}
	if _, err := w.Write(m.encode(to, msg, time.Now())); err != nil {
		return smtpError("data", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("end of data", err)
	}
	if err := c.Quit(); err != nil {
		// The message was accepted at the end of data; a failed QUIT
		// loses nothing.
		return nil
	}
	return nil
}

func (m *mailer) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: m.cfg.ServerName, RootCAs: m.cfg.RootCAs, MinVersion: tls.VersionTLS12}
}

// smtpError names the step and sorts the error: SMTP 5xx replies are
// permanent.
func smtpError(step string, err error) error {
	err = fmt.Errorf("smtp %s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return &permanentError{err}
	}
	return err
}

// encode writes the message: headers (the subject MIME-encoded), then the
// text as quoted-printable UTF-8.
func (m *mailer) encode(to []string, msg mailMessage, now time.Time) []byte {
	var b bytes.Buffer
	sum := sha256.Sum256([]byte(msg.id))
	domain := m.cfg.From[strings.LastIndexByte(m.cfg.From, '@')+1:]
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", (&mail.Address{Name: "newswire alerts", Address: m.cfg.From}).String())
	hdr("To", strings.Join(to, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", oneLine(msg.subject)))
	hdr("Date", now.UTC().Format(time.RFC1123Z))
	hdr("Message-ID", "<"+hex.EncodeToString(sum[:16])+"@"+domain+">")
	hdr(HeaderDelivery, oneLine(msg.id))
	hdr(HeaderEvent, msg.typ)
	hdr("Auto-Submitted", "auto-generated")
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="utf-8"`)
	hdr("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(msg.text, "\n", "\r\n")))
	_ = qp.Close()
	return b.Bytes()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// alertMail is the message of one alert.
func alertMail(a Alert) mailMessage {
	title := a.Title
	if title == "" {
		title = "(untitled)"
	}
	var b strings.Builder
	b.WriteString(title + "\n")
	if a.URL != "" {
		b.WriteString(a.URL + "\n")
	}
	b.WriteString("\nAlert: " + a.RuleName + "\n")
	if a.Source != "" {
		b.WriteString("Source: " + a.Source + "\n")
	}
	if !a.Published.IsZero() {
		b.WriteString("Published: " + a.Published.UTC().Format("2006-01-02 15:04 MST") + "\n")
	}
	tags := matchedTags(a)
	if len(tags) > 0 {
		b.WriteString("Matched: " + strings.Join(tags, ", ") + "\n")
	}
	if a.Snippet != "" {
		b.WriteString("\n" + a.Snippet + "\n")
	}
	return mailMessage{id: a.ID, typ: TypeAlert, subject: "[" + a.RuleName + "] " + title, text: b.String()}
}

// digestMail is the message of one digest.
func digestMail(dg Digest) mailMessage {
	var b strings.Builder
	fmt.Fprintf(&b, "%d more %s matched “%s” since %s:\n\n", dg.Count, plural(dg.Count, "article", "articles"), dg.RuleName, dg.Since.UTC().Format("2006-01-02 15:04 MST"))
	for _, e := range dg.Alerts {
		title := e.Title
		if title == "" {
			title = "(untitled)"
		}
		b.WriteString("• " + title + "\n")
		if e.URL != "" {
			b.WriteString("  " + e.URL + "\n")
		}
	}
	if more := dg.Count - len(dg.Alerts); more > 0 {
		fmt.Fprintf(&b, "…and %d more\n", more)
	}
	return mailMessage{id: dg.ID, typ: TypeDigest, subject: fmt.Sprintf("[%s] %d more %s", dg.RuleName, dg.Count, plural(dg.Count, "article", "articles")), text: b.String()}
}
