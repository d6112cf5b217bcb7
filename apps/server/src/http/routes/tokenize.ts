/** POST /tokenize and /detokenize (also under /v1/): text or chat messages ↔ token ids. */
import type { Hono } from 'hono';
import { requireModel, type AppContext } from '../context.ts';
import { badRequest } from '../errors/api-error.ts';
import { encodeChatPrompt } from '../prompt/chat-prompt.ts';
import { checkTokenIds } from '../prompt/completion-prompt.ts';
import { readJsonBody } from '../request/read-json-body.ts';
import { validateBody } from '../request/validate-body.ts';
import { detokenizeRequestSchema, tokenizeRequestSchema } from '../schemas/tokenize-request.ts';

export function registerTokenize(app: Hono, ctx: AppContext): void {
  for (const path of ['/tokenize', '/v1/tokenize']) {
    app.post(path, async (c) => {
      const req = validateBody(tokenizeRequestSchema, await readJsonBody(c.req.raw, ctx.limits.maxBodyBytes), ctx.logger, path);
      const model = requireModel(ctx, req.model);
      const hasPrompt = req.prompt !== undefined && req.prompt !== null;
      const hasMessages = req.messages !== undefined && req.messages !== null;
      if (hasPrompt === hasMessages) throw badRequest('Send exactly one of `prompt` and `messages`.', hasPrompt ? 'messages' : 'prompt');
      const tokens = hasPrompt
        ? model.tokenizer.encode(req.prompt!, { addSpecialTokens: req.add_special_tokens ?? true })
        : encodeChatPrompt(model, req.messages!, {
            addGenerationPrompt: req.add_generation_prompt,
            templateKwargs: req.chat_template_kwargs,
          }).ids;
      return c.json({ tokens, count: tokens.length, max_model_len: model.maxModelLen });
    });
  }
  for (const path of ['/detokenize', '/v1/detokenize']) {
    app.post(path, async (c) => {
      const req = validateBody(detokenizeRequestSchema, await readJsonBody(c.req.raw, ctx.limits.maxBodyBytes), ctx.logger, path);
      const model = requireModel(ctx, req.model);
      checkTokenIds(req.tokens, model.tokenizer.vocabSize, 'tokens');
      const text = model.tokenizer.decode(req.tokens, { skipSpecialTokens: req.skip_special_tokens ?? false });
      // vLLM answers `prompt`, SGLang `text`: both, so either client works
      return c.json({ prompt: text, text });
    });
  }
}
