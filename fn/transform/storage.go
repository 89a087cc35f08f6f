package transform

import (
	"fmt"
	"slices"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/llamastack-integration/llamastack-integration/fn/config"
	"github.com/llamastack-integration/llamastack-integration/fn/diag"
	"github.com/llamastack-integration/llamastack-integration/fn/providers"
)

// postgresVolume and postgresCAVolume hold spec.storage.postgres's password (where the image
// reads it from a file) and CA certificate.
const (
	postgresVolume   = "postgres-credentials"
	postgresDir      = CredentialsDir + "/postgres"
	postgresCAVolume = "postgres-ca"
	postgresCADir    = CredentialsDir + "/postgres-ca"
)

// secretMounts are the Secrets the function mounts as folders for cfg: a provider's, where
// its credentials file or a key the image reads from <VAR>_FILE lives there, and
// spec.storage.postgres's password (likewise) and CA.
func secretMounts(cfg *config.Config) []mount {
	var m []mount
	for _, pc := range cfg.Providers {
		what := pc.Provider.DisplayName + "'s Secret " + truncate(pc.SecretName) + ", read as files"
		if c := pc.Provider.Credentials; c != nil {
			what = pc.Provider.DisplayName + "'s credentials file from the Secret " + truncate(pc.SecretName) + ", which " + c.Env + " points to"
		}
		if pc.Provider.Credentials != nil || slices.ContainsFunc(pc.Provider.Secrets, func(s providers.SecretEnv) bool { return asFile(cfg, s.Env, s.Optional) }) {
			m = append(m, mount{volume: credentialsVolume(pc), path: credentialsDir(pc), source: "secret", what: what})
		}
	}
	if pg := cfg.Postgres; pg != nil {
		if asFile(cfg, "POSTGRES_PASSWORD", false) {
			m = append(m, mount{volume: postgresVolume, path: postgresDir, source: "secret", what: "the PostgreSQL password's Secret " + truncate(pg.PasswordSecret)})
		}
		if pg.CASecret != "" {
			m = append(m, mount{volume: postgresCAVolume, path: postgresCADir, source: "secret", what: "the PostgreSQL CA's Secret " + truncate(pg.CASecret)})
		}
	}
	return m
}

// asFile says variable name is read from a mounted file: the image's entrypoint reads it from
// the file <name>_FILE names. An optional key stays env: a missing file would stop the
// entrypoint.
func asFile(cfg *config.Config, name string, optional bool) bool {
	return !optional && slices.Contains(cfg.Line.SecretFiles, name)
}

// state points the server at spec.storage: PostgreSQL's POSTGRES_* variables, which both ODH
// distributions' configurations read and the start-up gives a starter's storage, and
// libpq's PGSSLMODE and PGSSLROOTCERT, which asyncpg and psycopg2 read. SQLite on the data
// volume needs nothing here.
func (a *applier) state(template, main *yaml.Node) {
	pg := a.cfg.Postgres
	if pg == nil {
		return
	}
	env := listAt(main, "env")
	for _, v := range [][2]string{{"POSTGRES_HOST", pg.Host}, {"POSTGRES_PORT", fmt.Sprint(pg.Port)}, {"POSTGRES_DB", pg.Database}, {"POSTGRES_USER", pg.User}} {
		a.changed(a.envValue(env, v[0], v[1], "storage.postgres"), "env %s=%s", v[0], v[1])
	}
	a.secret(template, main, "POSTGRES_PASSWORD", secretSource{postgresVolume, postgresDir, pg.PasswordSecret, "storage.postgres.passwordSecret"}, pg.PasswordKey, false)
	if pg.SSLMode != "" {
		a.changed(a.envValue(env, "PGSSLMODE", pg.SSLMode, "storage.postgres.sslMode"), "env PGSSLMODE=%s", pg.SSLMode)
	}
	if pg.CASecret != "" {
		did := a.secretVolume(template, main, postgresCAVolume, postgresCADir, pg.CASecret, "storage.postgres.caSecret")
		did = a.envValue(env, "PGSSLROOTCERT", postgresCADir+"/"+pg.CAKey, "storage.postgres.caSecret") || did
		a.changed(did, "env PGSSLROOTCERT: the file of Secret %s key %s", pg.CASecret, pg.CAKey)
	}
}

// secret gives variable name the value of secret's key: as a file that <name>_FILE points
// at, where the line's image reads it so (the key then never is in the container's
// environment), else as env from the Secret. An optional key stays env: a missing file would
// stop the image's entrypoint.
func (a *applier) secret(template, main *yaml.Node, name string, src secretSource, key string, optional bool) {
	secret := src.secret
	env := listAt(main, "env")
	if !asFile(a.cfg, name, optional) {
		a.changed(a.secretEnv(env, name, secret, key, optional), "env %s from Secret %s key %s%s", name, secret, key, map[bool]string{true: " (optional)"}[optional])
		return
	}
	// The entrypoint refuses both forms at once (distribution/entrypoint.sh).
	did := a.dropEnv(env, name)
	did = a.secretVolume(template, main, src.volume, src.dir, secret, src.from) || did
	did = a.envValue(env, name+"_FILE", src.dir+"/"+key, "the Secret's mount") || did
	a.changed(did, "env %s_FILE: the file of Secret %s key %s", name, secret, key)
}

// secretSource is a Secret mounted as a folder: its volume, the folder, and the setting it
// comes from, for messages.
type secretSource struct{ volume, dir, secret, from string }

// secretVolume mounts secret read-only at dir, as volume; from names the setting.
func (a *applier) secretVolume(template, main *yaml.Node, volume, dir, secret, from string) bool {
	volumes := listAt(template, "volumes")
	did := false
	if i := itemByName(volumes, volume); i < 0 {
		volumes.Content = append(volumes.Content, newMap("name", volume, "secret", newMap("secretName", secret)))
		did = true
	} else if s, err := mapAt(volumes.Content[i], "secret", "volumes"); err == nil {
		did = a.ownString(s, "secretName", volumePath(volume)+".secret.secretName", from, secret)
	}
	return upsertMount(main, volume, dir, true) || did
}

// dropEnv removes variable name from env; a literal value there is reported, never repeated.
func (a *applier) dropEnv(env *yaml.Node, name string) bool {
	i := itemByName(env, name)
	if i < 0 {
		return false
	}
	if literal, _ := stringValue(env.Content[i], "value"); literal != "" {
		a.warn(envPath(name), "held a literal value (%d characters, not repeated here); removed, since this image reads %s from the file %s_FILE names: rotate it if it was a real credential", len(literal), name, name)
	}
	env.Content = slices.Delete(env.Content, i, i+1)
	return true
}

// checkReplicas refuses several replicas that would each keep their own state.
func checkReplicas(spec *yaml.Node, cfg *config.Config) []diag.Problem {
	replicas, ok := stringValue(spec, "replicas")
	var n int
	if !ok || cfg.Postgres != nil {
		return nil
	}
	if _, err := fmt.Sscan(replicas, &n); err != nil || n <= 1 {
		return nil
	}
	return []diag.Problem{diag.New("spec.replicas", "is %d, but the server's state is SQLite on each pod's data volume, so every replica would keep its own model registry, stored responses and conversations, and a client would see them change from request to request; set spec.storage.postgres in the functionConfig to share one database, or use replicas: 1", n)}
}
