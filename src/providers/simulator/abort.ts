/** Settles only by rejecting with the signal's reason, once it aborts. */
export function waitForAbort(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/**
 * Runs a wait that `linked` (the caller's signal or the response's destroy) can end.
 * Returns true when the wait completed, false when the response was destroyed;
 * throws the caller's abort reason when the caller aborted.
 */
export async function interruptible(wait: Promise<unknown>, caller: AbortSignal, destroyed: AbortSignal): Promise<boolean> {
  try {
    await wait;
    return true;
  } catch (err) {
    if (caller.aborted) throw caller.reason;
    if (destroyed.aborted) return false;
    throw err;
  }
}
