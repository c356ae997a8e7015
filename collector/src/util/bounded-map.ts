/** A Map that forgets its oldest entries past `capacity`, so memory stays flat under any load. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly capacity: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (this.capacity <= 0) return this;
    // Re-inserting moves the key to the young end, so recently seen ids live longest.
    if (this.has(key)) this.delete(key);
    else if (this.size >= this.capacity) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}
