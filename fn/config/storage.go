package config

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"

	"github.com/llamastack-integration/llamastack-integration/fn/api/v1alpha1"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/llamastack"
)

// Postgres is spec.storage.postgres with its defaults applied.
type Postgres struct {
	Host                        string
	Port                        int32
	Database, User, SSLMode     string
	PasswordSecret, PasswordKey string
	// CASecret and CAKey name the CA certificate, when set.
	CASecret, CAKey string
}

// postgresHost is a DNS name or an IP address (IPv6 in brackets or bare).
var postgresHost = regexp.MustCompile(`^([a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*|\[?[0-9a-fA-F:.]+\]?)$`)

// postgresName is a PostgreSQL identifier the server can be given unquoted in a variable.
var postgresName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$-]*$`)

// storage resolves spec.storage: SQLite on the data volume unless postgres is set, which the
// line's image must support.
func (r *resolver) storage() {
	if r.spec.Storage == nil || r.spec.Storage.Postgres == nil {
		return
	}
	path := r.p("storage.postgres")
	pg, errs := resolvePostgres(*r.spec.Storage.Postgres, path)
	if line := r.cfg.Line; line.Name != "" && !line.Postgres && !r.lineOpen() {
		errs = append(errs, diag.New(path, "the %s line (%s) does not carry PostgreSQL's drivers in its image, so its state can only be SQLite on the data volume; use an image of the %s line, or remove storage.postgres",
			line.Name, line.Versions, strings.Join(llamastack.PostgresLines(), " or ")))
	}
	r.add(errs, nil)
	r.cfg.Postgres = pg
}

func resolvePostgres(spec v1alpha1.PostgresStorage, path string) (*Postgres, []diag.Problem) {
	pg := &Postgres{
		Host: spec.Host, Port: cmp.Or(spec.Port, v1alpha1.DefaultPostgresPort), Database: spec.Database, User: spec.User,
		SSLMode: spec.SSLMode, PasswordSecret: spec.PasswordSecret.Name, PasswordKey: cmp.Or(spec.PasswordSecret.Key, v1alpha1.DefaultPasswordKey),
	}
	var errs []diag.Problem
	switch {
	case pg.Host == "":
		errs = append(errs, diag.New(path+".host", "is required; give the database server's host name, for example postgres.db.svc.cluster.local"))
	case len(pg.Host) > 253 || !postgresHost.MatchString(pg.Host):
		errs = append(errs, diag.New(path+".host", "%q is not a host name or IP address; give the host alone, without scheme, port or path (the port goes in port)", truncate(pg.Host)))
	}
	if pg.Port < 1 || pg.Port > 65535 {
		errs = append(errs, diag.New(path+".port", "is %d; give a TCP port from 1 to 65535 (PostgreSQL's is 5432)", pg.Port))
	}
	for _, f := range []struct{ field, value, what string }{{"database", pg.Database, "database"}, {"user", pg.User, "role"}} {
		switch {
		case f.value == "":
			errs = append(errs, diag.New(path+"."+f.field, "is required; give the %s's name", f.what))
		case len(f.value) > 63 || !postgresName.MatchString(f.value):
			errs = append(errs, diag.New(path+"."+f.field, "%q is not a %s name the server can use; use letters, digits, '_', '$' and '-' (at most 63), starting with a letter or '_'", truncate(f.value), f.what))
		}
	}
	errs = append(errs, secretRef(path+".passwordSecret", pg.PasswordSecret, pg.PasswordKey)...)
	if ca := spec.CASecret; ca != nil {
		pg.CASecret, pg.CAKey = ca.Name, cmp.Or(ca.Key, v1alpha1.DefaultCAKey)
		errs = append(errs, secretRef(path+".caSecret", pg.CASecret, pg.CAKey)...)
	}
	switch pg.SSLMode {
	case "", "disable", "allow", "prefer", "require":
	case "verify-ca", "verify-full":
		if pg.CASecret == "" {
			errs = append(errs, diag.New(path+".caSecret", "is required with sslMode %s: the server's certificate is checked against this CA; name the Secret that holds it (key ca.crt)", pg.SSLMode))
		}
	default:
		errs = append(errs, diag.New(path+".sslMode", "%q is not an sslmode; use disable, allow, prefer, require, verify-ca or verify-full", truncate(pg.SSLMode)))
	}
	return pg, errs
}

// secretRef checks a Secret's name and key.
func secretRef(path, name, key string) []diag.Problem {
	errs := checkName(path+".name", name, "Secret", dnsSubdomain, 253)
	if len(key) > 253 || !secretKey.MatchString(key) {
		errs = append(errs, diag.New(path+".key", "%q is not a valid Secret key; use letters, digits, '-', '_' and '.' only (at most 253)", truncate(key)))
	}
	return errs
}

// String names the database for people, never the password.
func (pg *Postgres) String() string {
	return fmt.Sprintf("database %s on %s:%d as %s", pg.Database, pg.Host, pg.Port, pg.User)
}
