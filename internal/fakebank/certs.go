package fakebank

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certs are the certificates fakebank serves: a good leaf signed by its CA,
// and the three bad ones the TLS faults serve.
type certs struct {
	caPEM     []byte
	pool      *x509.CertPool
	good      tls.Certificate
	expired   tls.Certificate
	wrongHost tls.Certificate
	untrusted tls.Certificate
}

// CA file names in a TLS directory.
const (
	caCertFile = "ca.pem"
	caKeyFile  = "ca.key"
)

// loadCerts makes the certificates. With a directory, the CA is read from
// ca.pem and ca.key there, or made and written there (key 0600), so clients
// told to trust it keep trusting it across restarts. hosts are the names and
// addresses the good leaf is valid for.
func loadCerts(dir string, hosts []string, now time.Time) (*certs, error) {
	var ca *x509.Certificate
	var caKey *ecdsa.PrivateKey
	var err error
	if dir != "" {
		ca, caKey, err = readCA(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if err != nil {
			// Make a CA only where there is none: a lone ca.pem that clients
			// trust must not be overwritten.
			for _, name := range []string{caCertFile, caKeyFile} {
				if _, serr := os.Stat(filepath.Join(dir, name)); serr == nil {
					return nil, fmt.Errorf("%s: %s without its pair; remove it to make a new CA", dir, name)
				}
			}
		}
	}
	if ca == nil {
		ca, caKey, err = newCA("fakebank local CA", now)
		if err != nil {
			return nil, err
		}
		if dir != "" {
			if err := writeCA(dir, ca, caKey); err != nil {
				return nil, err
			}
		}
	}
	c := &certs{pool: x509.NewCertPool()}
	c.pool.AddCert(ca)
	c.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})

	if c.good, err = leaf(ca, caKey, hosts, now.Add(-time.Hour), now.AddDate(1, 0, 0)); err != nil {
		return nil, err
	}
	if c.expired, err = leaf(ca, caKey, hosts, now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0)); err != nil {
		return nil, err
	}
	if c.wrongHost, err = leaf(ca, caKey, []string{"wrong-host.fakebank.invalid"}, now.Add(-time.Hour), now.AddDate(1, 0, 0)); err != nil {
		return nil, err
	}
	other, otherKey, err := newCA("fakebank untrusted CA", now)
	if err != nil {
		return nil, err
	}
	if c.untrusted, err = leaf(other, otherKey, hosts, now.Add(-time.Hour), now.AddDate(1, 0, 0)); err != nil {
		return nil, err
	}
	return c, nil
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
}

func newCA(name string, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	sn, err := serial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"bankfeed fakebank"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func leaf(ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string, notBefore, notAfter time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	sn, err := serial()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"bankfeed fakebank"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	// The chain carries the CA, as the interop recipes serve it.
	return tls.Certificate{Certificate: [][]byte{der, ca.Raw}, PrivateKey: key}, nil
}

func readCA(dir string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("%s: not a PEM certificate and key", dir)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, caCertFile), err)
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", filepath.Join(dir, caKeyFile), err)
	}
	return cert, key, nil
}

func writeCA(dir string, ca *x509.Certificate, key *ecdsa.PrivateKey) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, caKeyFile), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, caCertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}), 0o644)
}
