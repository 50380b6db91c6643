// Package unsupported registers the connectors Tremor 0.11 had that
// temblor does not run, because nothing here can test them against their
// real peer (a cloud service, a chat service): loading one is an error
// that names what to use instead.
package unsupported

import (
	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
)

// A config of any shape is accepted: the type itself is refused first.
type anyConfig struct{}

func init() {
	for _, c := range []struct{ name, summary, alt string }{
		{"discord", "Tremor's Discord bot gateway (messages as events)",
			"a small bridge that posts Discord messages to a `ws` or `rest` onramp"},
		{"gsub", "Tremor's Google Cloud Pub/Sub subscriber",
			"a Pub/Sub push subscription to a `rest` onramp, or a bridge into `amqp` or `kafka`"},
	} {
		sdk.RegisterSource(sdk.SourceSpec[anyConfig]{Name: c.name, Summary: c.summary, Status: component.NotSupported,
			Alternative: c.alt, Docs: "temblor cannot test this connector against a real peer, so it does not ship it."})
	}
	for _, c := range []struct{ name, summary, alt string }{
		{"elastic", "Tremor's Elasticsearch bulk-index offramp",
			"the `rest` offramp posting to Elasticsearch's `_bulk` endpoint (`codec: json`, one action and one document per event), or `file`/`kafka` and Logstash or Filebeat"},
		{"gcs", "Tremor's Google Cloud Storage offramp",
			"the `file` offramp and a sync job (gsutil rsync), or the `rest` offramp against the GCS JSON API"},
		{"gpub", "Tremor's Google Cloud Pub/Sub publisher",
			"the `rest` offramp against the Pub/Sub REST API (`projects/P/topics/T:publish`), or `amqp`/`kafka` with a bridge"},
		{"discord", "Tremor's Discord bot offramp",
			"the `rest` offramp posting to a Discord webhook URL"},
		{"newrelic", "Tremor's New Relic Logs offramp",
			"the `rest` offramp posting to New Relic's Log API (`https://log-api.newrelic.com/log/v1`, header `X-License-Key`), or `otel` to New Relic's OTLP endpoint"},
	} {
		sdk.RegisterSink(sdk.SinkSpec[anyConfig]{Name: c.name, Summary: c.summary, Status: component.NotSupported,
			Alternative: c.alt, Docs: "temblor cannot test this connector against a real peer, so it does not ship it."})
	}
}
