"""Wrong answers students really write for notebooks/05_image_classification.ipynb."""

_EX1_HEAD = """\
confusion = report["confusion"]
# class_recall = ...  (an array: one recall per class, in the order of TARGET_CLASSES)
# hardest_class = ...  (a name from TARGET_CLASSES)
"""
_EX1_TAIL = """\
print("recall per class:", dict(zip(TARGET_CLASSES, np.round(class_recall, 2).tolist())))
print("hardest class:", hardest_class)
"""
_EX2_HEAD = """\
new_images, new_labels = target_task(1, seed=99)  # one new image per class
one_image = new_images[0]  # shape (32, 32, 3)
# def classify_one(image): ...  (the class name the loaded model predicts for one image)
# unbatched_error = ...  (the class of the exception that loaded.predict(one_image) raises)
"""
_EX2_TAIL = """\


try:
    loaded.predict(one_image)
except Exception as batch_error:
    unbatched_error = type(batch_error)
print(f"predicted {classify_one(one_image)!r} (true: {TARGET_CLASSES[new_labels[0]]!r})")
"""

WRONG_ANSWERS = {
    "ex1-answer": [
        (
            "precision instead of recall: divides by the column sums (predicted counts)",
            _EX1_HEAD + "class_recall = np.diag(confusion) / confusion.sum(axis=0)\n"
            "hardest_class = TARGET_CLASSES[int(np.argmin(class_recall))]\n" + _EX1_TAIL,
        ),
        (
            "argmax: names the easiest class, not the hardest",
            _EX1_HEAD + "class_recall = np.diag(confusion) / confusion.sum(axis=1)\n"
            "hardest_class = TARGET_CLASSES[int(np.argmax(class_recall))]\n" + _EX1_TAIL,
        ),
    ],
    "ex2-answer": [
        (
            "passes the image unbatched, shape (32, 32, 3)",
            _EX2_HEAD
            + """\
def classify_one(image):
    return TARGET_CLASSES[int(loaded.predict(image)[0])]
"""
            + _EX2_TAIL,
        ),
        (
            "predicts the batch of all new images and returns the first, whatever the image",
            _EX2_HEAD
            + """\
def classify_one(image):
    return TARGET_CLASSES[int(loaded.predict(new_images)[0])]
"""
            + _EX2_TAIL,
        ),
    ],
}
