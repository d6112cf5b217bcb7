/**
 * A text/event-stream Response pulled from an async generator of frames: each frame becomes `data: <frame>\n\n`.
 * Pull-based, so a slow client back-pressures generation; cancel (client gone) stops the generator.
 */
export const DONE = '[DONE]';

export function sseResponse(frames: AsyncGenerator<string>, onCancel: () => void): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await frames.next();
      if (done) controller.close();
      else controller.enqueue(encoder.encode(`data: ${value}\n\n`));
    },
    async cancel() {
      onCancel();
      await frames.return(undefined);
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  });
}
