package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"hash/crc32"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/temblor-dev/temblor/internal/diag"
)

// role says which side a librdkafka option belongs to.
type role uint8

const (
	consumer role = 1 << iota
	producer
	both = consumer | producer
)

func (r role) String() string {
	switch r {
	case consumer:
		return "onramp (consumer)"
	case producer:
		return "offramp (producer)"
	}
	return "kafka"
}

// settings is what the rdkafka_options of one connector become: franz-go
// options plus the few values temblor applies itself.
type settings struct {
	opts []kgo.Opt

	// consumer
	commitEvery time.Duration // auto.commit.interval.ms: how often acked offsets are committed

	// producer
	deliveryTimeout time.Duration // message.timeout.ms
	idempotent      bool
	acks            string
	partitioner     string

	// security, applied once every option is read
	protocol, mechanism, user, password string
	caFile, certFile, keyFile           string
	verify                              bool
	hostnameCheck                       bool
	debug                               bool
}

// option maps one librdkafka option onto settings.
type option struct {
	roles role
	doc   string // what it becomes, for the docs
	apply func(s *settings, v string) error
}

func millis(v string) (time.Duration, error) {
	n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 63)
	if err != nil {
		return 0, fmt.Errorf("must be a whole number of milliseconds, got %q", v)
	}
	return time.Duration(n) * time.Millisecond, nil
}

func count(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("must be a non-negative whole number, got %q", v)
	}
	return n, nil
}

func boolean(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("must be \"true\" or \"false\", got %q", v)
}

func oneOf(v string, allowed ...string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(v))
	if slices.Contains(allowed, l) {
		return l, nil
	}
	return "", fmt.Errorf("must be one of %s, got %q", strings.Join(allowed, ", "), v)
}

func durationOpt(roles role, doc string, f func(time.Duration) kgo.Opt) option {
	return option{roles, doc, func(s *settings, v string) error {
		d, err := millis(v)
		if err != nil {
			return err
		}
		s.opts = append(s.opts, f(d))
		return nil
	}}
}

func bytesOpt(roles role, doc string, scale int64, f func(int32) kgo.Opt) option {
	return option{roles, doc, func(s *settings, v string) error {
		n, err := count(v)
		if err != nil {
			return err
		}
		n *= scale
		if n < 1 || n > 1<<31-1 {
			return fmt.Errorf("must be between 1 and %d bytes, got %q", int64(1<<31-1)/scale, v)
		}
		s.opts = append(s.opts, f(int32(n)))
		return nil
	}}
}

// accepted is an option whose librdkafka meaning temblor always has.
func accepted(roles role, doc string, check func(v string) error) option {
	return option{roles, doc, func(_ *settings, v string) error {
		if check != nil {
			return check(v)
		}
		return nil
	}}
}

// options are the librdkafka options with a franz-go (or temblor)
// equivalent. Any other is refused, naming it.
var options = map[string]option{
	"client.id": {both, "the client id (`kgo.ClientID`)", func(s *settings, v string) error {
		s.opts = append(s.opts, kgo.ClientID(v))
		return nil
	}},
	"client.rack": {consumer, "fetch from the closest replica in this rack (`kgo.Rack`)", func(s *settings, v string) error {
		s.opts = append(s.opts, kgo.Rack(v))
		return nil
	}},
	"socket.connection.setup.timeout.ms": durationOpt(both, "`kgo.DialTimeout`", func(d time.Duration) kgo.Opt { return kgo.DialTimeout(d) }),
	"metadata.max.age.ms":                durationOpt(both, "`kgo.MetadataMaxAge`", func(d time.Duration) kgo.Opt { return kgo.MetadataMaxAge(d) }),
	"topic.metadata.refresh.interval.ms": durationOpt(both, "`kgo.MetadataMaxAge`", func(d time.Duration) kgo.Opt { return kgo.MetadataMaxAge(d) }),
	"retry.backoff.ms": durationOpt(both, "a constant `kgo.RetryBackoffFn`", func(d time.Duration) kgo.Opt {
		return kgo.RetryBackoffFn(func(int) time.Duration { return d })
	}),
	"debug": {both, "franz-go's debug log, through temblor's log", func(s *settings, v string) error {
		s.debug = strings.TrimSpace(v) != ""
		return nil
	}},
	"api.version.request": accepted(both, "always on (franz-go negotiates versions)", func(v string) error {
		if b, err := boolean(v); err != nil || !b {
			return fmt.Errorf("franz-go always asks the broker for its API versions; only \"true\" is possible")
		}
		return nil
	}),

	// Security.
	"security.protocol": {both, "plaintext, ssl, sasl_plaintext or sasl_ssl", func(s *settings, v string) error {
		p, err := oneOf(v, "plaintext", "ssl", "sasl_plaintext", "sasl_ssl")
		s.protocol = p
		return err
	}},
	"sasl.mechanism":  {both, "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (franz-go's sasl packages)", mechanism},
	"sasl.mechanisms": {both, "as `sasl.mechanism`", mechanism},
	"sasl.username":   {both, "the SASL user", func(s *settings, v string) error { s.user = v; return nil }},
	"sasl.password":   {both, "the SASL password", func(s *settings, v string) error { s.password = v; return nil }},
	"ssl.ca.location": {both, "a PEM file of CA certificates to trust", func(s *settings, v string) error {
		s.caFile = v
		return nil
	}},
	"ssl.certificate.location": {both, "the client certificate (PEM)", func(s *settings, v string) error {
		s.certFile = v
		return nil
	}},
	"ssl.key.location": {both, "the client key (PEM, unencrypted)", func(s *settings, v string) error {
		s.keyFile = v
		return nil
	}},
	"enable.ssl.certificate.verification": {both, "verify the broker's certificate", func(s *settings, v string) error {
		b, err := boolean(v)
		s.verify = b
		return err
	}},
	"ssl.endpoint.identification.algorithm": {both, "https (check the host name) or none", func(s *settings, v string) error {
		a, err := oneOf(v, "https", "none")
		s.hostnameCheck = a == "https"
		return err
	}},

	// Consumer.
	"enable.auto.commit": accepted(consumer, "either value: temblor commits an offset only once every record before it was acked", func(v string) error {
		_, err := boolean(v)
		return err
	}),
	"enable.auto.offset.store": accepted(consumer, "either value: offsets are stored only once acked", func(v string) error {
		_, err := boolean(v)
		return err
	}),
	"auto.commit.interval.ms": {consumer, "how often acked offsets are committed", func(s *settings, v string) error {
		d, err := millis(v)
		if err == nil && d <= 0 {
			err = fmt.Errorf("must be at least 1")
		}
		s.commitEvery = d
		return err
	}},
	"enable.partition.eof": accepted(consumer, "only \"false\": temblor emits no end-of-partition events", func(v string) error {
		if b, err := boolean(v); err != nil || b {
			return fmt.Errorf("temblor emits no end-of-partition events; only \"false\" is possible")
		}
		return nil
	}),
	"session.timeout.ms":    durationOpt(consumer, "`kgo.SessionTimeout`", func(d time.Duration) kgo.Opt { return kgo.SessionTimeout(d) }),
	"heartbeat.interval.ms": durationOpt(consumer, "`kgo.HeartbeatInterval`", func(d time.Duration) kgo.Opt { return kgo.HeartbeatInterval(d) }),
	"max.poll.interval.ms":  durationOpt(consumer, "`kgo.RebalanceTimeout`", func(d time.Duration) kgo.Opt { return kgo.RebalanceTimeout(d) }),
	"fetch.wait.max.ms":     durationOpt(consumer, "`kgo.FetchMaxWait`", func(d time.Duration) kgo.Opt { return kgo.FetchMaxWait(d) }),
	"fetch.min.bytes":       bytesOpt(consumer, "`kgo.FetchMinBytes`", 1, func(n int32) kgo.Opt { return kgo.FetchMinBytes(n) }),
	"fetch.max.bytes":       bytesOpt(consumer, "`kgo.FetchMaxBytes`", 1, func(n int32) kgo.Opt { return kgo.FetchMaxBytes(n) }),
	"max.partition.fetch.bytes": bytesOpt(consumer, "`kgo.FetchMaxPartitionBytes`", 1, func(n int32) kgo.Opt {
		return kgo.FetchMaxPartitionBytes(n)
	}),
	"fetch.message.max.bytes": bytesOpt(consumer, "`kgo.FetchMaxPartitionBytes`", 1, func(n int32) kgo.Opt {
		return kgo.FetchMaxPartitionBytes(n)
	}),
	"auto.offset.reset": {consumer, "where a group without a committed offset starts: smallest/earliest/beginning, largest/latest/end, or error", func(s *settings, v string) error {
		r, err := oneOf(v, "smallest", "earliest", "beginning", "largest", "latest", "end", "error")
		switch r {
		case "smallest", "earliest", "beginning":
			s.opts = append(s.opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		case "largest", "latest", "end":
			s.opts = append(s.opts, kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd()))
		case "error":
			s.opts = append(s.opts, kgo.ConsumeResetOffset(kgo.NoResetOffset()))
		}
		return err
	}},
	"group.instance.id": {consumer, "static membership (`kgo.InstanceID`)", func(s *settings, v string) error {
		s.opts = append(s.opts, kgo.InstanceID(v))
		return nil
	}},
	"partition.assignment.strategy": {consumer, "range, roundrobin and/or cooperative-sticky (the default)", func(s *settings, v string) error {
		var bs []kgo.GroupBalancer
		for _, name := range strings.Split(v, ",") {
			switch n, _ := oneOf(name, "range", "roundrobin", "cooperative-sticky", "sticky"); n {
			case "range":
				bs = append(bs, kgo.RangeBalancer())
			case "roundrobin":
				bs = append(bs, kgo.RoundRobinBalancer())
			case "cooperative-sticky":
				bs = append(bs, kgo.CooperativeStickyBalancer())
			case "sticky":
				bs = append(bs, kgo.StickyBalancer())
			default:
				return fmt.Errorf("%q is not a strategy; use range, roundrobin, sticky or cooperative-sticky", strings.TrimSpace(name))
			}
		}
		s.opts = append(s.opts, kgo.Balancers(bs...))
		return nil
	}},
	"isolation.level": {consumer, "read_committed or read_uncommitted", func(s *settings, v string) error {
		l, err := oneOf(v, "read_committed", "read_uncommitted")
		if l == "read_committed" {
			s.opts = append(s.opts, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		}
		return err
	}},
	"check.crcs": {consumer, "franz-go checks them unless \"false\"", func(s *settings, v string) error {
		b, err := boolean(v)
		if err == nil && !b {
			s.opts = append(s.opts, kgo.DisableFetchCRCValidation())
		}
		return err
	}},

	// Producer.
	"message.timeout.ms":     {producer, "how long a record may take to be acknowledged before its event fails (`kgo.RecordDeliveryTimeout`)", deliveryTimeout},
	"delivery.timeout.ms":    {producer, "as `message.timeout.ms`", deliveryTimeout},
	"queue.buffering.max.ms": durationOpt(producer, "`kgo.ProducerLinger`", func(d time.Duration) kgo.Opt { return kgo.ProducerLinger(d) }),
	"linger.ms":              durationOpt(producer, "`kgo.ProducerLinger`", func(d time.Duration) kgo.Opt { return kgo.ProducerLinger(d) }),
	"queue.buffering.max.messages": {producer, "`kgo.MaxBufferedRecords`", func(s *settings, v string) error {
		n, err := count(v)
		if err == nil && n < 1 {
			err = fmt.Errorf("must be at least 1")
		}
		s.opts = append(s.opts, kgo.MaxBufferedRecords(int(n)))
		return err
	}},
	"queue.buffering.max.kbytes": {producer, "`kgo.MaxBufferedBytes`", func(s *settings, v string) error {
		n, err := count(v)
		if err == nil && n < 1 {
			err = fmt.Errorf("must be at least 1")
		}
		s.opts = append(s.opts, kgo.MaxBufferedBytes(int(n)*1024))
		return err
	}},
	"message.max.bytes":     bytesOpt(producer, "`kgo.ProducerBatchMaxBytes`", 1, func(n int32) kgo.Opt { return kgo.ProducerBatchMaxBytes(n) }),
	"batch.size":            bytesOpt(producer, "`kgo.ProducerBatchMaxBytes`", 1, func(n int32) kgo.Opt { return kgo.ProducerBatchMaxBytes(n) }),
	"compression.codec":     {producer, "none, gzip, snappy, lz4 or zstd", compression},
	"compression.type":      {producer, "as `compression.codec`", compression},
	"acks":                  {producer, "all (or -1); 1 only with `enable.idempotence: \"false\"`", requiredAcks},
	"request.required.acks": {producer, "as `acks`", requiredAcks},
	"enable.idempotence": {producer, "true (the default) or false", func(s *settings, v string) error {
		b, err := boolean(v)
		s.idempotent = b
		return err
	}},
	"max.in.flight.requests.per.connection": {producer, "`kgo.MaxProduceRequestsInflightPerBroker`", inflight},
	"max.in.flight":                         {producer, "as `max.in.flight.requests.per.connection`", inflight},
	"message.send.max.retries":              {producer, "`kgo.RecordRetries`", retries},
	"retries":                               {producer, "`kgo.RecordRetries`", retries},
	"request.timeout.ms":                    durationOpt(producer, "`kgo.ProduceRequestTimeout`", func(d time.Duration) kgo.Opt { return kgo.ProduceRequestTimeout(d) }),
	"partitioner": {producer, "consistent_random (the default, as librdkafka: crc32 of the key), consistent, murmur2_random, murmur2 (as the Java client) or random", func(s *settings, v string) error {
		p, err := oneOf(v, "consistent_random", "consistent", "murmur2_random", "murmur2", "random")
		s.partitioner = p
		return err
	}},
}

// refused explains options that look like they belong here but must be
// set elsewhere.
var refused = map[string]string{
	"bootstrap.servers":    "set `brokers` instead",
	"metadata.broker.list": "set `brokers` instead",
	"group.id":             "set `group_id` instead",
	"batch.num.messages":   "franz-go bounds batches by bytes: use `batch.size`",
	"ssl.key.password":     "use an unencrypted key file",
	"transactional.id":     "temblor's kafka offramp is idempotent, not transactional",
}

func mechanism(s *settings, v string) error {
	m := strings.ToUpper(strings.TrimSpace(v))
	switch m {
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		s.mechanism = m
		return nil
	}
	return fmt.Errorf("must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q (GSSAPI and OAUTHBEARER are not supported)", v)
}

func deliveryTimeout(s *settings, v string) error {
	d, err := millis(v)
	if err == nil && d <= 0 {
		err = fmt.Errorf("must be at least 1: without a timeout an unreachable broker would hold events forever")
	}
	s.deliveryTimeout = d
	return err
}

func compression(s *settings, v string) error {
	c, err := oneOf(v, "none", "gzip", "snappy", "lz4", "zstd")
	switch c {
	case "none":
		s.opts = append(s.opts, kgo.ProducerBatchCompression(kgo.NoCompression()))
	case "gzip":
		s.opts = append(s.opts, kgo.ProducerBatchCompression(kgo.GzipCompression()))
	case "snappy":
		s.opts = append(s.opts, kgo.ProducerBatchCompression(kgo.SnappyCompression()))
	case "lz4":
		s.opts = append(s.opts, kgo.ProducerBatchCompression(kgo.Lz4Compression()))
	case "zstd":
		s.opts = append(s.opts, kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	}
	return err
}

func requiredAcks(s *settings, v string) error {
	a, err := oneOf(v, "all", "-1", "1", "0")
	if a == "0" {
		return fmt.Errorf("acks=0 means the broker never confirms a record, so no event could ever be acked; use \"all\"")
	}
	s.acks = a
	return err
}

func inflight(s *settings, v string) error {
	n, err := count(v)
	if err == nil && n < 1 {
		err = fmt.Errorf("must be at least 1")
	}
	s.opts = append(s.opts, kgo.MaxProduceRequestsInflightPerBroker(int(n)))
	return err
}

func retries(s *settings, v string) error {
	n, err := count(v)
	s.opts = append(s.opts, kgo.RecordRetries(int(n)))
	return err
}

// parseOptions reads a connector's rdkafka_options; every problem is a
// diagnostic at the option.
func parseOptions(m map[string]string, r role, at interface {
	Errorf(path, format string, args ...any) *diag.Diagnostic
}) (*settings, diag.List) {
	s := &settings{idempotent: true, acks: "all", verify: true, hostnameCheck: true, partitioner: "consistent_random"}
	var errs diag.List
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		path := "rdkafka_options." + k
		o, ok := options[k]
		switch {
		case !ok && refused[k] != "":
			errs = append(errs, at.Errorf(path, "rdkafka option `%s` is not used by temblor: %s", k, refused[k]))
			continue
		case !ok:
			d := at.Errorf(path, "rdkafka option `%s` has no equivalent in temblor's Kafka client (franz-go); remove it", k)
			names := make([]string, 0, len(options))
			for n, o := range options {
				if o.roles&r != 0 {
					names = append(names, n)
				}
			}
			if c := diag.Closest(k, names); c != "" {
				d.Hint = fmt.Sprintf("did you mean `%s`?", c)
			} else {
				d.Hint = "docs/reference/connectors.md lists the rdkafka options temblor maps"
			}
			errs = append(errs, d)
			continue
		case o.roles&r == 0:
			errs = append(errs, at.Errorf(path, "rdkafka option `%s` is for the kafka %s, not the %s; remove it", k, o.roles, r))
			continue
		}
		if err := o.apply(s, v); err != nil {
			errs = append(errs, at.Errorf(path, "rdkafka option `%s`: %v", k, err))
		}
	}
	if s.acks == "1" && s.idempotent {
		errs = append(errs, at.Errorf("rdkafka_options.acks", "an idempotent producer needs acks=all; set `enable.idempotence: \"false\"` too if you accept losing records the leader acknowledged but did not replicate"))
	}
	switch {
	case s.mechanism != "" && !strings.HasPrefix(s.protocol, "sasl_"):
		errs = append(errs, at.Errorf("rdkafka_options.sasl.mechanism", "a SASL mechanism needs `security.protocol` sasl_plaintext or sasl_ssl"))
	case strings.HasPrefix(s.protocol, "sasl_") && (s.user == "" || s.password == ""):
		errs = append(errs, at.Errorf("rdkafka_options.security.protocol", "%s needs `sasl.username` and `sasl.password`", s.protocol))
	}
	if (s.certFile == "") != (s.keyFile == "") {
		errs = append(errs, at.Errorf("rdkafka_options", "`ssl.certificate.location` and `ssl.key.location` go together"))
	}
	return s, errs
}

// finish turns the security settings into franz-go options; it reads the
// certificate files, so it runs at Open, not at New.
func (s *settings) finish(r role) ([]kgo.Opt, error) {
	opts := slices.Clone(s.opts)
	if r == producer {
		if !s.idempotent {
			opts = append(opts, kgo.DisableIdempotentWrite())
			if s.acks == "1" {
				opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()))
			}
		}
		var hasher kgo.PartitionerHasher
		switch s.partitioner {
		case "consistent_random", "consistent":
			hasher = kgo.SaramaHasher(crc32.ChecksumIEEE) // librdkafka's consistent partitioner
		case "murmur2_random", "murmur2":
			hasher = nil // Kafka's own
		}
		var base kgo.Partitioner
		if s.partitioner == "random" {
			base = kgo.StickyPartitioner()
		} else {
			base = kgo.StickyKeyPartitioner(hasher)
		}
		opts = append(opts, kgo.RecordPartitioner(&metaPartitioner{base}))
	}
	if s.protocol == "ssl" || s.protocol == "sasl_ssl" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: !s.verify} //nolint:gosec // the user asked for it
		if s.caFile != "" {
			pem, err := os.ReadFile(s.caFile)
			if err != nil {
				return nil, fmt.Errorf("ssl.ca.location: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ssl.ca.location %s holds no PEM certificate", s.caFile)
			}
		}
		if s.certFile != "" {
			cert, err := tls.LoadX509KeyPair(s.certFile, s.keyFile)
			if err != nil {
				return nil, fmt.Errorf("ssl.certificate.location/ssl.key.location: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		if !s.hostnameCheck && s.verify {
			// Verify the chain but not the name.
			cfg.InsecureSkipVerify = true
			roots := cfg.RootCAs
			cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
				certs := make([]*x509.Certificate, len(raw))
				for i, b := range raw {
					c, err := x509.ParseCertificate(b)
					if err != nil {
						return err
					}
					certs[i] = c
				}
				inter := x509.NewCertPool()
				for _, c := range certs[1:] {
					inter.AddCert(c)
				}
				_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
				return err
			}
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	switch s.mechanism {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: s.user, Pass: s.password}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.user, Pass: s.password}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.user, Pass: s.password}.AsSha512Mechanism()))
	}
	return opts, nil
}

// OptionsDoc lists the rdkafka options of a role and what each becomes,
// as markdown, for the connector docs.
func optionsDoc(r role) string {
	names := make([]string, 0, len(options))
	for n, o := range options {
		if o.roles&r != 0 {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("| rdkafka option | in temblor |\n|---|---|\n")
	for _, n := range names {
		fmt.Fprintf(&b, "| `%s` | %s |\n", n, options[n].doc)
	}
	return b.String()
}
