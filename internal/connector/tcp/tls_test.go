package tcp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/temblor-dev/temblor/internal/component"
	"github.com/temblor-dev/temblor/internal/connector/sdk"
	"github.com/temblor-dev/temblor/internal/connector/sdk/conformance"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "temblor test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestSourceConformanceTLS(t *testing.T) {
	conformance.RunSource(t, conformance.Source{
		Type:          "tcp",
		Preprocessors: []string{"lines"},
		Setup: func(t *testing.T, msgs []string) (string, func(sdk.Source) error) {
			cert, key, pool := selfSigned(t)
			return "host: 127.0.0.1\nport: 0\ntls:\n  cert: " + cert + "\n  key: " + key + "\n", func(src sdk.Source) error {
				return dialAndSend(src.(*Source).Addr().String(), msgs, func(ctx context.Context, addr string) (net.Conn, error) {
					d := tls.Dialer{Config: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
					return d.DialContext(ctx, "tcp", addr)
				})
			}
		},
		BadConfigs: []conformance.BadConfig{{Config: "port: 1\ntls: yes\n", Pos: "6:12", Contains: "`tls` must be a mapping"}},
	})
}

// A certificate that cannot be loaded is an error at start, naming the files.
func TestBadCertificateFailsAtOpen(t *testing.T) {
	dir := t.TempDir()
	s := &Source{host: "127.0.0.1", tls: &tlsConfig{Cert: filepath.Join(dir, "missing.pem"), Key: filepath.Join(dir, "key.pem")}}
	err := s.Open(context.Background(), component.Env{})
	if err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Fatalf("got %v", err)
	}
	if s.ln != nil {
		t.Fatal("the port stayed bound")
	}
}
