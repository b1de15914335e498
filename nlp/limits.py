"""Upper bounds on the work one message may cause, so that no text a citizen can send exhausts a server.

Some steps cost more than linear time in what they are given: pyvi's diacritic restorer builds features for each
character from every other character of its word (a 6,000-letter "word" took 17.9 GB before it was killed; issue 12,
finding 3), the spelling fixer builds every one-letter deletion of a word, and the encoder's attention is quadratic in
its input. Every such step is bounded here, by the length of one token and of the whole text, and only here. Each
bound sits well above anything ordinary Vietnamese needs, so that it changes nothing for a real message and caps the
cost of a hostile one; `benchmarks/bench_nasty_inputs.py` measures what the worst inputs still cost.

The validators' own limits (petitions/validation.py: a matter of up to 5,000 characters; actions/questions.py: a
question of up to 1,000) say what reaches these steps from the chat; the bounds below hold for any input, so that a
direct caller (the CLI, the console, a bridge) is safe as well.
"""
from __future__ import annotations

# The longest Vietnamese syllable has 7 letters ("nghiêng"); with punctuation glued on ("nghiêng),") or two
# syllables written together it stays under 20. A longer run without spaces is a URL, a code or junk: restoring
# diacritics on it is meaningless, and pyvi's cost per character grows with the length of the run.
MAX_RESTORE_TOKEN_CHARS = 20

# Diacritics are guessed for this many leading characters only (~400 syllables). The guess feeds the encoder, which
# reads at most 512 tokens (about 1,500 characters of Vietnamese) and the accent model of a question, which is at most
# 1,000 characters long; the rest of a longer text keeps its folded form, which the lexical views use anyway.
MAX_RESTORE_CHARS = 2000

# A word longer than this is never taken for a typo: no word of the documents is that long, and the candidate
# corrections of a word are built from each of its one-letter deletions (quadratic in its length).
MAX_SPELLING_TOKEN_CHARS = 20

# Text handed to the encoder is cut to this many characters before tokenising. The encoder keeps only its first
# max_seq_length (512) tokens in any case, and a token covers at least one character, so a cut this far out
# changes no real message's embedding; it only keeps the tokeniser from reading a megabyte.
MAX_ENCODE_CHARS = 8000

# Encoder input, in tokens, for a query (a question or a petition): the model's own limit (512 for e5-small) is
# kept unless it is larger than this.
MAX_ENCODE_TOKENS = 512

# The router reads at most this much of a petition: the validator accepts 5,000 characters; a longer text (from a
# direct caller) is routed on its first part.
MAX_ROUTE_CHARS = 5000
