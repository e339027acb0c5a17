// What the calendar-feed routes need from storage (host/feeds.ts implements it over the calendar_feeds table,
// migration 012). Only hashes of secrets cross this interface; the secret itself never reaches storage.

/** A user's feed as stored: the SHA-256 (hex) of its secret and when it was made (ISO instant). */
export interface StoredFeed {
  user_id: string;
  token_hash: string;
  created_at: string;
}

export interface FeedsPort {
  /** Makes the user's feed, or replaces it (the old secret stops working at once); returns the stored row. */
  put(userId: string, tokenHash: string): Promise<StoredFeed>;
  /** The user's feed, or null when there is none. */
  get(userId: string): Promise<StoredFeed | null>;
  /** Deletes the user's feed; true when there was one. */
  revoke(userId: string): Promise<boolean>;
  /** The feed whose secret hashes to `tokenHash` (one unique-index lookup), or null. */
  byHash(tokenHash: string): Promise<StoredFeed | null>;
}
