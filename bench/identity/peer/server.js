// The peer bench/run-identity measures Publica against: the Node `oidc-provider` package
// (pinned in package.json), configured as Publica's bench client is: one confidential client
// (`client_secret_basic`, authorization_code and client_credentials), pairwise subjects,
// ID tokens and JWT access tokens (RFC 9068, through a resource indicator, the only way
// oidc-provider issues JWT access tokens) signed with ALG (ES256 or RS256) by a key generated
// at start-up (P-256 or RSA 2048, as Publica's), and Publica's default lifetimes (access and
// ID tokens 300 s; codes 600 s in both, so the codes minted before a round outlive it).
//
// Before it listens it mints CODES authorization codes in-process with the provider's own
// model classes (one grant for one account, as after one consent, then one code per
// authorization) and writes them, one a line, to CODES_FILE.
//
// Storage (STORAGE): `sqlite`, what bench/run-identity judges against: every entry in a SQLite
// file (DB_FILE) through node:sqlite, WAL and `synchronous = FULL`, so that a spent code stays
// spent across a crash, as Publica's does (oidc-provider calls its adapter once per request,
// so each exchange commits on its own). `map` (the default), a Map-based adapter that keeps
// nothing durable, like oidc-provider's own development-only memory adapter (an LRU of 1,000
// entries, which would evict the minted codes).
//
// Env: PORT, ALG, CODES, CODES_FILE, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, RESOURCE,
// STORAGE, DB_FILE.

import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    console.error(`error: ${name} is required`);
    process.exit(2);
  }
  return value;
};

const PORT = Number(env('PORT', '18091'));
const ALG = env('ALG', 'ES256');
const CODES = Number(env('CODES', '0'));
const CODES_FILE = env('CODES_FILE', '');
const CLIENT_ID = env('CLIENT_ID', 'bench-client');
const CLIENT_SECRET = env('CLIENT_SECRET');
const REDIRECT_URI = env('REDIRECT_URI', 'http://127.0.0.1:8400/callback');
const RESOURCE = env('RESOURCE', 'https://api.bench.example/');
const STORAGE = env('STORAGE', 'map');
const ACCOUNT = randomUUID();
const PAIRWISE_SALT = randomBytes(32);

if (!['ES256', 'RS256'].includes(ALG)) {
  console.error('error: ALG must be ES256 or RS256');
  process.exit(2);
}

/// Everything in two Maps: entries by model and id, and the members of each grant.
const entries = new Map();
const grantMembers = new Map();

/// What both storages share: keys by model and id, expiry, and the look-ups by session uid and
/// user code (entries of their own naming the id). A storage provides `put(key, payload,
/// expiresAt)` and `live(key)` (the payload, or undefined once expired), and the rest.
class Entries {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.MAX_SAFE_INTEGER;
    this.put(this.key(id), payload, expiresAt);
    if (this.model === 'Session' && payload.uid) this.put(`sessionUid:${payload.uid}`, id, expiresAt);
    if (payload.userCode) this.put(`userCode:${payload.userCode}`, id, expiresAt);
  }

  async find(id) {
    return this.live(this.key(id));
  }

  async findByUid(uid) {
    const id = this.live(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = this.live(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }
}

class MapAdapter extends Entries {
  put(key, payload, expiresAt) {
    entries.set(key, { payload, expiresAt });
    if (payload.grantId) {
      let members = grantMembers.get(payload.grantId);
      if (!members) {
        members = new Set();
        grantMembers.set(payload.grantId, members);
      }
      members.add(key);
    }
  }

  live(key) {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  async consume(id) {
    const payload = this.live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    entries.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) entries.delete(key);
    grantMembers.delete(grantId);
  }
}

/// The same in a SQLite file, committed durably by each call.
async function sqliteAdapter(file) {
  const { DatabaseSync } = await import('node:sqlite');
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
  db.exec(`CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY, payload TEXT NOT NULL, expires_at INTEGER NOT NULL, grant_id TEXT)`);
  db.exec('CREATE INDEX IF NOT EXISTS entries_grant ON entries (grant_id)');
  const put = db.prepare('INSERT OR REPLACE INTO entries (key, payload, expires_at, grant_id) VALUES (?, ?, ?, ?)');
  const get = db.prepare('SELECT payload, expires_at FROM entries WHERE key = ?');
  const remove = db.prepare('DELETE FROM entries WHERE key = ?');
  const removeGrant = db.prepare('DELETE FROM entries WHERE grant_id = ?');
  const consume = db.prepare("UPDATE entries SET payload = json_set(payload, '$.consumed', ?) WHERE key = ?");
  class SqliteAdapter extends Entries {
    put(key, payload, expiresAt) {
      put.run(key, JSON.stringify(payload), expiresAt, payload.grantId ?? null);
    }

    live(key) {
      const row = get.get(key);
      return row && row.expires_at > Date.now() ? JSON.parse(row.payload) : undefined;
    }

    async consume(id) {
      consume.run(Math.floor(Date.now() / 1000), this.key(id));
    }

    async destroy(id) {
      remove.run(this.key(id));
    }

    async revokeByGrantId(grantId) {
      removeGrant.run(grantId);
    }
  }
  return { Adapter: SqliteAdapter, db };
}

let Adapter = MapAdapter;
let storage;
if (STORAGE === 'sqlite') {
  storage = await sqliteAdapter(env('DB_FILE'));
  Adapter = storage.Adapter;
} else if (STORAGE !== 'map') {
  console.error('error: STORAGE must be map or sqlite');
  process.exit(2);
}

function signingKey(alg) {
  const { privateKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `bench-${alg.toLowerCase()}`, alg, use: 'sig' };
}

const provider = new Provider(`http://127.0.0.1:${PORT}`, {
  adapter: Adapter,
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    redirect_uris: [REDIRECT_URI],
    grant_types: ['authorization_code', 'client_credentials'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: ALG,
    subject_type: 'pairwise',
    scope: 'openid api',
  }],
  jwks: { keys: [signingKey(ALG)] },
  subjectTypes: ['public', 'pairwise'],
  // Publica's pairwise subject: base64url(SHA-256(sector ‖ account ‖ salt)).
  pairwiseIdentifier: async (_ctx, accountId, client) => createHash('sha256')
    .update(client.sectorIdentifier).update(accountId).update(PAIRWISE_SALT).digest('base64url'),
  findAccount: async (_ctx, accountId) => ({ accountId, claims: async () => ({ sub: accountId }) }),
  scopes: ['openid', 'api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => undefined,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource) => ({
        scope: 'api',
        audience: resource,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 300,
        jwt: { sign: { alg: ALG } },
      }),
    },
  },
  ttl: {
    AccessToken: 300,
    AuthorizationCode: 600,
    ClientCredentials: 300,
    IdToken: 300,
    Grant: 24 * 3600,
    Interaction: 3600,
    Session: 24 * 3600,
  },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
});

/// One grant (what a consent leaves), then one code per authorization, as the authorization
/// endpoint would store them.
async function mint(count) {
  const client = await provider.Client.find(CLIENT_ID);
  const grant = new provider.Grant({ accountId: ACCOUNT, clientId: CLIENT_ID });
  grant.addOIDCScope('openid');
  grant.addResourceScope(RESOURCE, 'api');
  const grantId = await grant.save();
  const authTime = Math.floor(Date.now() / 1000);
  const codes = [];
  for (let i = 0; i < count; i += 1) {
    const code = new provider.AuthorizationCode({
      client,
      accountId: ACCOUNT,
      grantId,
      scope: 'openid api',
      resource: RESOURCE,
      redirectUri: REDIRECT_URI,
      nonce: randomBytes(16).toString('base64url'),
      authTime,
      amr: ['pwd'],
      sid: randomUUID(),
    });
    codes.push(await code.save());
  }
  return codes;
}

if (CODES > 0) {
  if (!CODES_FILE) {
    console.error('error: CODES_FILE is required with CODES');
    process.exit(2);
  }
  // Minted in one transaction: what is measured is the exchanges.
  storage?.db.exec('BEGIN');
  const codes = await mint(CODES);
  storage?.db.exec('COMMIT');
  writeFileSync(CODES_FILE, `${codes.join('\n')}\n`);
}

provider.listen(PORT, '127.0.0.1', () => {
  console.log(`oidc-provider ${ALG} listening on 127.0.0.1:${PORT}`);
});
