"""SentimentAnalysisModel: frozen pre-trained vectors, transfer to unseen words, save/load."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.notebook import quiet_tensorflow_import

quiet_tensorflow_import()

from course_utils.datasets.text import make_corpus, make_reviews, tokenize  # noqa: E402
from course_utils.transfer import build_embeddings, sentiment  # noqa: E402
from course_utils.transfer.embeddings import PretrainedWordEmbeddings  # noqa: E402
from course_utils.transfer.sentiment import (  # noqa: E402
    SentimentAnalysisModel,
    SentimentPrediction,
    compare_embeddings,
    sentiment_report,
)

TEXTS = ["good film", "bad film", "good good", "bad food", "great food", "awful film"]
LABELS = [1, 0, 1, 0, 1, 0]


@pytest.fixture(scope="module")
def tiny() -> PretrainedWordEmbeddings:
    """Six words in 4 dimensions: positive words point one way, negative ones the other."""
    vectors = np.array(
        [
            [1, 0, 0, 0],
            [0.9, 0.1, 0, 0],
            [-1, 0, 0, 0],
            [-0.9, 0, 0.1, 0],
            [0, 0, 0, 1],
            [0, 1, 1, 1],
        ],
        dtype=np.float32,
    )
    return PretrainedWordEmbeddings(["good", "great", "bad", "awful", "film", "food"], vectors)


@pytest.fixture(scope="module")
def shipped() -> PretrainedWordEmbeddings:
    return PretrainedWordEmbeddings.load(build_embeddings.EMBEDDINGS_PATH)


def embedding_weights(model: SentimentAnalysisModel) -> np.ndarray:
    return model.model.get_layer("embedding").get_weights()[0]


def test_embedding_layer_starts_from_the_pretrained_matrix_and_stays_frozen(tiny):
    model = SentimentAnalysisModel(tiny, seed=0)
    before = embedding_weights(model).copy()
    np.testing.assert_array_equal(before[2:], tiny.vectors)  # after "" and "[UNK]"
    np.testing.assert_array_equal(before[:2], 0.0)
    assert (model.matrix.hits, model.matrix.misses) == (6, 2)
    head_before = model.model.layers[-1].get_weights()[0].copy()
    model.train(TEXTS, LABELS, epochs=3, batch_size=2)
    np.testing.assert_array_equal(embedding_weights(model), before)  # bitwise unchanged
    assert not np.array_equal(model.model.layers[-1].get_weights()[0], head_before)


def test_fine_tuning_moves_only_the_vectors_of_words_in_the_training_texts(tiny):
    model = SentimentAnalysisModel(tiny, trainable_embeddings=True, seed=0)
    model.train(["good film", "bad film", "great film"], [1, 0, 1], epochs=5, batch_size=2)
    after = embedding_weights(model)
    vocabulary = model.model.get_layer("vectorize").get_vocabulary()
    for word, vector in zip(tiny.words, tiny.vectors, strict=True):
        row = after[vocabulary.index(word)]
        if word in ("good", "bad", "great", "film"):
            assert not np.array_equal(row, vector), f"{word!r} was trained on but did not move"
        else:  # "awful" and "food": absent from the texts, no gradient, no Adam moment
            np.testing.assert_array_equal(row, vector)


def trained_weights(embeddings, seed, labels, trainable=False):
    import keras

    keras.utils.set_random_seed(seed)  # tf.data's shuffle uses the global seed too
    model = SentimentAnalysisModel(embeddings, trainable_embeddings=trainable, seed=seed)
    model.train(TEXTS, labels, epochs=4, batch_size=4, seed=seed)
    return model.model.get_weights()


def test_the_shared_trainer_gives_the_result_of_fitting_the_model_itself(tiny):
    import keras
    import tensorflow as tf

    shared = trained_weights(tiny, 3, LABELS, trainable=True)
    keras.utils.set_random_seed(3)
    direct = SentimentAnalysisModel(tiny, trainable_embeddings=True, seed=3)
    direct.model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    data = tf.data.Dataset.from_tensor_slices((tf.constant(TEXTS), np.float32(LABELS)))
    data = data.shuffle(len(TEXTS), seed=3, reshuffle_each_iteration=True).batch(4).repeat(4)
    direct.model.fit(data, shuffle=False, verbose=0)
    for ours, theirs in zip(shared, direct.model.get_weights(), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def test_models_of_one_shape_share_a_trainer_and_train_independently(tiny, monkeypatch):
    monkeypatch.setattr(sentiment, "_TRAINERS", {})
    alone = trained_weights(tiny, 0, LABELS)
    trained_weights(tiny, 1, [1 - y for y in LABELS])  # same shapes, other data, in between
    again = trained_weights(tiny, 0, LABELS)
    assert len(sentiment._TRAINERS) == 1
    for first, second in zip(alone, again, strict=True):
        np.testing.assert_array_equal(first, second)  # no weights or optimizer state leaked


def test_load_refuses_a_lambda_layer_under_safe_mode(tmp_path):
    import keras

    path = tmp_path / "lambda.keras"
    keras.Sequential([keras.Input(shape=(1,)), keras.layers.Lambda(lambda x: x * 2)]).save(path)
    with pytest.raises(ValueError, match="safe_mode"):
        SentimentAnalysisModel.load(path)


def test_random_trainable_baseline_uses_the_same_vocabulary_but_not_the_vectors(tiny):
    model = SentimentAnalysisModel(tiny, initialization="random", trainable_embeddings=True)
    weights = embedding_weights(model)
    assert weights.shape == (8, 4) and not np.allclose(weights[2:], tiny.vectors)
    assert model.model.get_layer("embedding").trainable and model.matrix is None


def test_predict_sentiment_returns_label_and_probability(tiny):
    model = SentimentAnalysisModel(tiny, seed=1)
    model.train(TEXTS, LABELS, epochs=30, batch_size=6)
    prediction = model.predict_sentiment("Great FILM!")  # lower-cased like the vocabulary
    assert isinstance(prediction, SentimentPrediction) and 0.0 <= prediction.probability <= 1.0
    assert prediction.label == ("positive" if prediction.probability >= 0.5 else "negative")
    assert prediction == model.predict_sentiment("great film")
    assert model.accuracy(TEXTS, LABELS) == 1.0


def test_unknown_words_and_the_widget_report(tiny):
    model = SentimentAnalysisModel(tiny)
    assert model.unknown_words("Good spa, GREAT view!") == ["spa", "view"]
    report = sentiment_report({"frozen": model}, "good spa")
    assert report.startswith("text: 'good spa'") and "frozen" in report
    assert "unknown words: spa" in report


def test_save_and_load_give_identical_predictions(tiny, tmp_path):
    model = SentimentAnalysisModel(tiny, seed=2)
    model.train(TEXTS, LABELS, epochs=2, batch_size=3)
    path = model.save(tmp_path / "sentiment.keras")
    loaded = SentimentAnalysisModel.load(path)
    probe = ["good film", "awful food", "never seen words", "film"]
    np.testing.assert_array_equal(loaded.predict_proba(probe), model.predict_proba(probe))
    assert loaded.predict_sentiment("bad film") == model.predict_sentiment("bad film")
    assert loaded.model.get_layer("vectorize").get_vocabulary()[2:] == list(tiny.words)
    assert not loaded.model.get_layer("embedding").trainable


def test_bad_inputs_raise(tiny, tmp_path):
    model = SentimentAnalysisModel(tiny)
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "model.h5")
    with pytest.raises(FileNotFoundError):
        SentimentAnalysisModel.load(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="labels"):
        model.train(TEXTS, LABELS[:-1])
    with pytest.raises(ValueError, match="labels"):
        model.train(TEXTS, [2] * len(TEXTS))
    with pytest.raises(ValueError, match="epochs"):
        model.train(TEXTS, LABELS, epochs=0)
    with pytest.raises(TypeError, match="epochs must be an int"):
        model.train(TEXTS, LABELS, epochs=2.0)
    with pytest.raises(TypeError, match="sequence of str"):
        model.train("good film", [1])
    with pytest.raises(TypeError):
        model.predict_sentiment(["good film"])
    with pytest.raises(ValueError, match="initialization"):
        SentimentAnalysisModel(tiny, initialization="glove")
    with pytest.raises(TypeError):
        SentimentAnalysisModel({"good": [1.0]})


def test_tokenize_matches_keras_text_vectorization():
    import keras

    sentences = [" ".join(s) for s in make_corpus(50, seed=9)] + ["The Hotel, was SUPERB!"]
    layer = keras.layers.TextVectorization(output_mode="int")
    layer.adapt(sentences)
    vocabulary = layer.get_vocabulary()
    for sentence in sentences:
        ids = [int(i) for i in layer([sentence]).numpy()[0] if i != 0]
        assert [vocabulary[i] for i in ids] == tokenize(sentence)


def test_pretrained_embeddings_transfer_to_words_missing_from_the_labelled_set(shipped):
    train = make_reviews(200, split="train")
    test = make_reviews(200, split="held_out", seed=1)
    results = compare_embeddings(shipped, train, test, seeds=(0,))
    pretrained, random = results["pretrained (frozen)"][0], results["random (trainable)"][0]
    assert pretrained >= 0.85 and random <= 0.7, results
