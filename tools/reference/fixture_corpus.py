"""Text the fixture tokenizer is trained on, and the strings and prompts the references record.

Everything is embedded so that the tokenizer (and therefore every fixture) is reproducible offline.
The corpus mixes plain English, code-like text, numbers, accents, CJK and emoji so that the trained
byte-level BPE has merges for multi-byte characters as well as raw byte fallbacks.
"""

CORPUS = """\
The quick brown fox jumps over the lazy dog. The dog does not mind; it has seen foxes before.
A small model is still a model: it reads tokens, mixes them with attention, and predicts the next one.
When the cache is warm, decoding a token touches every weight once, so memory bandwidth sets the pace.
Prefill is different. Many tokens arrive together, the matrices are wide, and arithmetic becomes the limit.
Engineers like to say that correctness comes first, then speed, and only then elegance. They rarely agree on the order.
On Monday the server answered 1,024 requests; on Tuesday it answered 2,048, and nobody noticed the difference.
Temperatures rose to 31.5 degrees at 14:30, then fell to 18 degrees after the storm at 9 p.m.
Please keep your receipts: item 42 cost $3.99, item 7 cost $12.50, and the total was $16.49 including tax.
"Where are you going?" she asked. "To the library," he said, "to read about rotary position embeddings."
It's easy to forget that we'll need the tokenizer again; they've already shipped it, and I'm sure you'd agree.

def add(a, b):
    return a + b

for i in range(10):
    print(i * i)

{"name": "plexus", "version": "0.1.0", "private": true}
if (x > 0 && y < 10) { return x * y; } else { return -1; }
SELECT id, name FROM users WHERE active = 1 ORDER BY name;

Once upon a time, in a valley between two quiet mountains, there lived a baker who counted every loaf twice.
Each morning she wrote the numbers in a blue notebook, and each evening she read them aloud to her cat.
The cat, who was called Pepper, never interrupted, though sometimes it yawned at the larger numbers.
Rain came in spring, wind in autumn, and in winter the snow piled so high that the bakery door stuck.
Still, the bread was warm, the notebook was full, and the village never went hungry.

Café au lait, crème brûlée, naïve résumé, façade, déjà vu, piñata, jalapeño, Müller, Straße, smörgåsbord.
Les élèves étudient à l'école près du théâtre. ¿Dónde está la estación? Él está aquí, señor.
Ça va très bien, merci ! Über den Wolken muss die Freiheit wohl grenzenlos sein.
Ελληνικά γράμματα: αλφα, βήτα, γάμμα. Русский текст: привет, как дела? Всё хорошо, спасибо.

你好，世界！今天天气很好，我们去公园散步吧。机器学习模型需要大量的数据。
我喜欢读书和写字。这个模型很小，但是它可以生成文本。中文和英文混合在一起也没有问题。
日本語のテキストも少し入れます。こんにちは、元気ですか？ありがとうございます。東京は大きな都市です。
한국어 문장도 있습니다. 안녕하세요, 만나서 반갑습니다.

Emoji make byte-level tokenizers work hard: 😀 😃 😄 😁 🎉 🚀 ❤️ 👍 🌍 🔥 ✨ 🤖 🐈 🍞 ☕.
Family: 👨‍👩‍👧‍👦, flags: 🇫🇷 🇯🇵 🇧🇷, skin tones: 👋🏽 👍🏿, and a snowman ☃ next to a comet ☄.
Mixed line: the robot 🤖 said “こんにちは” and then ate a croissant 🥐 at the café.

Numbers and symbols: 0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14159 2.71828 -273.15 1e-6 0x1F 50% #tag @user
Punctuation: ... !!! ??? ;; :: -- — – “quotes” ‘single’ «guillemets» (parens) [brackets] {braces} <angle>
Whitespace matters too:	tabs	between words, double  spaces,   triple spaces,
and trailing spaces at the end of a line.   

Line one.
Line two.

Line four after an empty line.
The end of the corpus is near; the beginning of the model is here.
"""

# Strings whose HF encode/decode every reference records (special tokens included on purpose).
TOKENIZER_CHECK_STRINGS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "  leading spaces and trailing spaces  ",
    "line one\nline two\n\nline four\r\nwindows line",
    "Tabs\tand\ttabs, numbers 12345 and 3.14159",
    "Café crème brûlée, naïve résumé, Straße",
    "你好，世界！東京は大きな都市です。",
    "Emoji: 😀🎉🚀 family 👨‍👩‍👧‍👦 flag 🇯🇵",
    "text <|im_start|>user\nhi<|im_end|> more <|end_of_text|> tail",
    "<|begin_of_text|>already has bos",
    "words the tokenizer never saw: zyxwvut qqqq ꙮ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "",
]

# The 3-message conversation rendered through every chat template.
CHAT_MESSAGES = [
    {"role": "system", "content": "You are a terse assistant."},
    {"role": "user", "content": "Name a colour and an emoji 🎨."},
    {"role": "assistant", "content": "Blue 💙."},
]

# Text prompt encoded with the model's tokenizer (default add_special_tokens).
TEXT_PROMPT = "Once upon a time, the baker counted the loaves: one, two, three. Then the cat 🐈 yawned and said"

# Chat conversation used as a generation prompt (rendered with add_generation_prompt=True).
CHAT_PROMPT_MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Write one sentence about the sea 🌊."},
]
