/** A node that knows its neighbours and the list holding it (intrusive: no wrapper per link). */
export interface RecencyNode<N extends RecencyNode<N>> {
  prev: N | undefined;
  next: N | undefined;
  list: RecencyList<N> | undefined;
}

/**
 * A doubly linked list ordered by last use, most recent at the head. Moving a node to the front
 * and reading the least recently used one (the tail) are O(1) and allocate nothing, which a
 * `Map` re-insertion (delete + set) or its iterator (one object per read) would not give.
 */
export class RecencyList<N extends RecencyNode<N>> {
  head: N | undefined = undefined;
  tail: N | undefined = undefined;
  size = 0;

  /** Adds an unlinked node as the most recently used. */
  unshift(node: N): void {
    node.list = this;
    node.prev = undefined;
    node.next = this.head;
    if (this.head === undefined) this.tail = node;
    else this.head.prev = node;
    this.head = node;
    this.size++;
  }

  /** Unlinks a node of this list. */
  remove(node: N): void {
    const { prev, next } = node;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    node.prev = undefined;
    node.next = undefined;
    node.list = undefined;
    this.size--;
  }

  /** Marks a node of this list as the most recently used. */
  toFront(node: N): void {
    if (this.head === node) return;
    this.remove(node);
    this.unshift(node);
  }
}
