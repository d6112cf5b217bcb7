// Test-only: response bodies are inspected structurally, so read them as `any` (fetch types say `unknown`).
export {};
declare global {
  interface Response {
    json(): Promise<any>;
  }
}
