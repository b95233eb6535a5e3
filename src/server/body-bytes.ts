/** Request body bytes buffered at once across all requests of a gateway: a bound on what slow or large bodies can hold. */
export class BodyBytes {
  private held = 0;

  constructor(private readonly limit: number) {}

  /** Takes `n` bytes; false (nothing taken) when that would pass the limit. */
  take(n: number): boolean {
    if (this.held + n > this.limit) return false;
    this.held += n;
    return true;
  }

  release(n: number): void {
    this.held -= n;
  }
}
