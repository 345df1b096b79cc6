package producers

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/newswire/newswire/article"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"
)

// MessageWriter writes records and returns once they are acknowledged.
// *kafka.Writer with RequiredAcks set implements it.
type MessageWriter interface {
	WriteMessages(ctx context.Context, msgs ...kafka.Message) error
}

// Publisher writes validated articles to the raw topic.
type Publisher struct {
	w     MessageWriter
	topic string
	log   *zap.Logger
	sent  *prometheus.CounterVec
}

// The feed poller and the file producer take any ArticlePublisher; this is
// the one that writes to Kafka.
var _ ArticlePublisher = (*Publisher)(nil)

// NewPublisher builds a publisher writing to topic.
func NewPublisher(w MessageWriter, topic string, reg prometheus.Registerer, log *zap.Logger) *Publisher {
	return &Publisher{
		w: w, topic: topic, log: log.With(zap.String("component", "publisher")),
		sent: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Namespace: "newswire", Name: "ingested_articles_total",
			Help: "Articles written to the raw topic and acknowledged, by source kind.",
		}, []string{"via"}),
	}
}

// Publish writes the articles keyed by id and returns once Kafka has
// acknowledged all of them. via labels the metric (http, file, feed).
func (p *Publisher) Publish(ctx context.Context, via string, arts []article.Article) error {
	if len(arts) == 0 {
		return nil
	}
	msgs := make([]kafka.Message, len(arts))
	for i := range arts {
		b, err := json.Marshal(&arts[i])
		if err != nil {
			return fmt.Errorf("encode article %s: %w", arts[i].ID, err)
		}
		msgs[i] = kafka.Message{Topic: p.topic, Key: []byte(arts[i].ID), Value: b}
	}
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("write %d articles to %s: %w", len(msgs), p.topic, err)
	}
	p.sent.WithLabelValues(via).Add(float64(len(msgs)))
	return nil
}
