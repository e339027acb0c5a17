// Calendar feeds in the calendar_feeds table (migration 012): one row per user holding the SHA-256 of the
// feed's secret. Written directly, not through a turn: a feed secret is a credential, not task history, so it
// has no events (DESIGN.md "Growing the model", calendar feed).
import type { Db } from './db/index.ts';
import type { FeedsPort, StoredFeed } from '../api/feed/port.ts';

const COLUMNS = 'user_id, token_hash, created_at';

export class Feeds implements FeedsPort {
  constructor(private readonly db: Db) {}

  async put(userId: string, tokenHash: string): Promise<StoredFeed> {
    const { rows } = await this.db.query<StoredFeed>(
      `INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, now())
       ON CONFLICT (user_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = EXCLUDED.created_at
       RETURNING ${COLUMNS}`,
      [userId, tokenHash],
    );
    return rows[0] as StoredFeed;
  }

  async get(userId: string): Promise<StoredFeed | null> {
    const { rows } = await this.db.query<StoredFeed>(`SELECT ${COLUMNS} FROM calendar_feeds WHERE user_id = $1`, [
      userId,
    ]);
    return rows[0] ?? null;
  }

  async revoke(userId: string): Promise<boolean> {
    return (await this.db.query('DELETE FROM calendar_feeds WHERE user_id = $1', [userId])).rowCount > 0;
  }

  async byHash(tokenHash: string): Promise<StoredFeed | null> {
    const { rows } = await this.db.query<StoredFeed>(`SELECT ${COLUMNS} FROM calendar_feeds WHERE token_hash = $1`, [
      tokenHash,
    ]);
    return rows[0] ?? null;
  }
}
