/**
 * @module The group-commit schedule shared by the outboxes (the embedded store's and Redis'): entries
 * added during one event-loop turn form one group, handed to `commit` once the scheduled turn runs;
 * groups commit one after another, never two at once.
 */

/** Collects entries into groups for `commit`. */
export interface GroupCommit<E> {
  /** Add an entry to the next group (schedules its commit when none is scheduled). */
  add(entry: E): void;
  /** Commit whatever is pending now, after the commit in progress. */
  flush(): Promise<void>;
}

/**
 * `commit` gets each non-empty group; it settles its entries itself (resolve or reject each).
 *
 * @example
 * const group = createGroupCommit<Pending>(async (entries) => { ... }, setImmediate)
 * group.add({ records, resolve, reject })
 */
export function createGroupCommit<E>(commit: (group: E[]) => Promise<void>, schedule: (fn: () => void) => void): GroupCommit<E> {
  let pending: E[] = [];
  let scheduled = false;
  let committing: Promise<void> = Promise.resolve();

  async function run(): Promise<void> {
    scheduled = false;
    const group = pending;
    pending = [];
    if (group.length === 0) return;
    await commit(group);
  }

  return {
    add(entry) {
      pending.push(entry);
      if (!scheduled) {
        scheduled = true;
        schedule(() => {
          committing = committing.then(run);
        });
      }
    },
    flush() {
      committing = committing.then(run);
      return committing;
    },
  };
}
