"""Transfer Learning: reuse a pre-trained model, freeze it, train a small task head.

Taught in notebooks 03 (the pattern), 04 (sentiment with pre-trained word embeddings) and
05 (image classification). Names are the lecture's UML classes. Importing this package does not
import TensorFlow: the modules import it when first used.
"""

from __future__ import annotations

from course_utils.transfer.embeddings import PretrainedWordEmbeddings
from course_utils.transfer.image_models import ImageClassificationModel, TaskSpecificModel
from course_utils.transfer.new_task import NewTaskModel
from course_utils.transfer.pretrained import PretrainedModel
from course_utils.transfer.sentiment import SentimentAnalysisModel

__all__ = [
    "ImageClassificationModel",
    "NewTaskModel",
    "PretrainedModel",
    "PretrainedWordEmbeddings",
    "SentimentAnalysisModel",
    "TaskSpecificModel",
]
