// The seed's JSON envelopes: `{ success: true, data }` for every answer and
// `{ success: false, message, error }` for every failure (error: a short machine-readable code).
export type SuccessEnvelope<T> = { success: true; data: T };
export type ErrorEnvelope = { success: false; message: string; error: string };

export function successEnvelope<T>(data: T): SuccessEnvelope<T> {
  return { success: true, data };
}

export function errorEnvelope(message: string, error: string): ErrorEnvelope {
  return { success: false, message, error };
}
