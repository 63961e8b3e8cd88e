/**
 * Reads the paragraphs of published Packages indexes again, by place, for the writer of a run
 * that holds its kept packages by place (index/deb/packages_index.ts `PublishedParagraphs`):
 * each index file is read as it was when the run listed it (its etag is checked: a file another
 * run replaced meanwhile is a conflict, and the run starts over), in one pass when its packages
 * are taken in file order (as in every index mkrepo wrote), whole into memory at the first step
 * back (an index another tool wrote, in another order).
 * @module
 */
import type { ObjectInfo, Storage } from "../storage/storage.ts";
import { lostRace } from "../publish/file_writes.ts";
import { MultiHasher } from "../util/multi_hasher.ts";
import { paragraphsOf } from "../plan/published_deb.ts";
import type { PublishedParagraphs } from "../index/deb/packages_index.ts";

/** The published paragraphs of the index files in `listed`, read from `storage`. */
export function publishedParagraphs(
  storage: Storage,
  listed: ReadonlyMap<string, ObjectInfo>,
): PublishedParagraphs {
  return {
    open() {
      const files = new Map<string, IndexReading>();
      return {
        take(place) {
          let file = files.get(place.file);
          if (!file) {
            file = new IndexReading(storage, place.file, listed.get(place.file)?.etag);
            files.set(place.file, file);
          }
          return file.take(place.ordinal);
        },
        async close() {
          for (const file of files.values()) await file.close();
        },
      };
    },
  };
}

/** One index file read again: forward in one pass, or whole once asked for an earlier one. */
class IndexReading {
  readonly #storage: Storage;
  readonly #key: string;
  readonly #etag?: string;
  #batches?: AsyncGenerator<string[]>;
  #batch: string[] = [];
  #at = 0; // position of the next paragraph in #batch
  #next = 0; // its number in the file
  #whole?: string[];

  constructor(storage: Storage, key: string, etag: string | undefined) {
    this.#storage = storage;
    this.#key = key;
    this.#etag = etag;
  }

  /** Paragraph number `ordinal` (from 0) of the file. */
  async take(ordinal: number): Promise<string> {
    if (!this.#whole && ordinal < this.#next) {
      await this.close();
      this.#whole = [];
      for await (const batch of await this.#open()) {
        for (const text of batch) this.#whole.push(text);
      }
    }
    if (this.#whole) return this.#whole[ordinal] ?? this.#missing(ordinal);
    this.#batches ??= await this.#open();
    while (true) {
      for (; this.#at < this.#batch.length; this.#at++, this.#next++) {
        if (this.#next === ordinal) {
          this.#next++;
          return this.#batch[this.#at++];
        }
      }
      const { value, done } = await this.#batches.next();
      if (done) return this.#missing(ordinal);
      this.#batch = value;
      this.#at = 0;
    }
  }

  async close(): Promise<void> {
    const batches = this.#batches;
    this.#batches = undefined;
    this.#batch = [];
    await batches?.return(undefined);
  }

  async #open(): Promise<AsyncGenerator<string[]>> {
    const now = await this.#storage.stat(this.#key);
    if (!now || now.etag !== this.#etag) {
      throw lostRace(this.#storage, this.#key, "it changed since this run read it");
    }
    return paragraphsOf(this.#storage, this.#key, new MultiHasher([]));
  }

  #missing(ordinal: number): never {
    throw lostRace(this.#storage, this.#key, `it has no paragraph ${ordinal} any more`);
  }
}
