/** An SSM API error: answered as `{"__type": code, "message": ...}` with `status`, as the JSON 1.1 protocol does. */
export class SsmError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}
