"""Transfer Learning: reuse a pre-trained model, freeze it, train a small task head.

Taught in notebooks 03 (the pattern), 04 (sentiment with pre-trained word embeddings) and
05 (image classification). Names are the lecture's UML classes.
"""

from __future__ import annotations

from course_utils._lazy import lazy_getattr

# Public name -> the module that defines it. Imported on first use, so that
# `import course_utils.transfer` stays cheap and one module's import cost is paid only when needed.
_EXPORTS = {
    "PretrainedModel": "pretrained",
    "NewTaskModel": "pretrained",
    "TaskSpecificModel": "images",
    "ImageClassificationModel": "images",
    "PretrainedWordEmbeddings": "embeddings",
    "SentimentAnalysisModel": "sentiment",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
