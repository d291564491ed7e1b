"""Wrong answers students really write for
notebooks/assignments/assignment4/multiview_predictor.ipynb (Assignment 4, multi-view predictor).

Each entry is a whole answer cell as a student would submit it (the given code kept, the solution
markers gone). Every one of them must score less than full points on its task's checks.
"""

# The parts of the answer cells that the student release already contains.
_FEATURES_OK = '''def polynomial_features(x, degree):
    """The columns (x/π)**1 ... (x/π)**degree of a 1-D array x: float32, shape (len(x), degree)."""
    t = np.asarray(x, dtype=np.float64) / np.pi
    return np.stack([t**k for k in range(1, degree + 1)], axis=1).astype(np.float32)
'''

_TAYLOR_OK = '''def taylor_coefficients(degree):
    """c_1 ... c_degree of sin's Taylor series at 0 (sin x ≈ Σ c_k x**k), as float64."""
    return np.array(
        [0.0 if k % 2 == 0 else (-1) ** (k // 2) / math.factorial(k) for k in range(1, degree + 1)]
    )
'''

_POWER_SERIES_OK = '''def power_series_coefficients(kernel):
    """A Dense kernel (a_1 ... a_D on t = x/π, shape (D, 1)) as c_1 ... c_D on powers of x."""
    weights = np.asarray(kernel, dtype=np.float64).reshape(-1)
    return weights / np.pi ** np.arange(1, len(weights) + 1)
'''

_SUBJECT_HEAD = '''class Subject:
    """Keeps the views that watch it and tells each of them about every change."""

    def __init__(self):
        self._views = []  # the attached views, in the order they were attached

'''

_DETACH_OK = '''    def detach(self, view):
        """Stop telling view about changes; ValueError if it is not attached."""
        if view not in self._views:
            raise ValueError(f"{view!r} is not attached")
        self._views.remove(view)

'''

_PREDICTOR_GIVEN = '''class SinePredictor(Subject):
    """MVC's model: a Keras model that learns sin(x), with its checkpoints. Views watch it."""

    def __init__(self, model, featurize, optimizer, manager):
        super().__init__()
        self.model, self.featurize, self.optimizer = model, featurize, optimizer
        self.manager, self.state = manager, manager.state  # Task 4's manager and its ModelState
        # train_step(features, targets) and loss(features, targets): see make_step_functions
        self.train_step, self.loss = make_step_functions(model, optimizer)

    @property
    def step(self):
        """How many training steps the current weights have had."""
        return self.state.step_number

    def predict(self, x):
        """The model's predictions for x (a number or a 1-D array), as a 1-D float64 array."""
        features = self.featurize(check_inputs(x))
        return self.model(features).numpy()[:, 0].astype(np.float64)

    def train(self, total_steps, data):
        """Train to total_steps with train_to (Task 4), then tell every view."""
        losses = train_to(self, total_steps, data)
        self.notify("trained")
        return losses

'''

_MANAGER_OK = '''def make_checkpoint_manager(model, optimizer, storage):
    """A CheckpointManager saving every SAVE_EVERY steps, keeping the newest and the best."""
    state = ModelState(model, optimizer)
    policy = CheckpointPolicy(
        every_n_steps=SAVE_EVERY, monitor="val_loss", keep_latest=KEEP_LATEST, keep_best=1
    )
    return CheckpointManager(state, storage, policy)
'''

_TRAIN_TO_OK = '''def train_to(predictor, total_steps, data):
    """Resume from the newest checkpoint, train to total_steps; return the training losses."""
    predictor.manager.restore_latest()
    features, targets = predictor.featurize(data.x_train), data.y_train
    val_features, val_targets = predictor.featurize(data.x_val), data.y_val
    losses = []
    while predictor.step < total_steps:
        losses.append(predictor.train_step(features, targets))
        predictor.state.step.assign_add(1)
        val_loss = predictor.loss(val_features, val_targets)
        predictor.manager.maybe_save({"val_loss": val_loss})
    return losses
'''

_TABLE_HEAD = '''class TableView(View):
    """A text view: the predictor's predictions at a few fixed x, next to sin(x)."""

    def __init__(self, xs):
        self.xs = np.asarray(xs, dtype=np.float64)
        self.predictions = None  # what the table shows, one prediction per x
        self.text = "(not attached yet)"

'''

_TABLE_TEXT = """        rows = [f"step {predictor.step} ({event})"]
        for x, p in zip(self.xs, self.predictions):
            rows.append(f"{x:8.4f} {p:11.6f} {np.sin(x):11.6f} {abs(p - np.sin(x)):9.1e}")
        self.text = "\\n".join(rows)
"""

_TABLE_SHOW = """
    def show(self):
        print(self.text)
"""

_UML_DISPLAY = 'display(Markdown(f"```mermaid\\n{uml}\\n```"))\n'

WRONG_ANSWERS = {
    "task1-answer": [
        (
            "features are powers of x itself, not of x/π",
            '''def polynomial_features(x, degree):
    """The columns (x/π)**1 ... (x/π)**degree of a 1-D array x: float32, shape (len(x), degree)."""
    x = np.asarray(x, dtype=np.float64)
    return np.stack([x**k for k in range(1, degree + 1)], axis=1).astype(np.float32)


'''
            + _TAYLOR_OK
            + "\n\n"
            + _POWER_SERIES_OK,
        ),
        (
            "Taylor's coefficients divided by (k-1)! instead of k!",
            _FEATURES_OK
            + '''

def taylor_coefficients(degree):
    """c_1 ... c_degree of sin's Taylor series at 0 (sin x ≈ Σ c_k x**k), as float64."""
    coefficients = np.zeros(degree)
    for k in range(1, degree + 1, 2):
        coefficients[k - 1] = (-1) ** (k // 2) / math.factorial(k - 1)
    return coefficients


'''
            + _POWER_SERIES_OK,
        ),
    ],
    "task2-answer": [
        (
            "NaN tested with `in`, which compares with == and never finds NaN",
            '''def check_inputs(x):
    """x as a 1-D float64 array of finite real numbers; ValueError for anything else."""
    array = np.atleast_1d(np.asarray(x, dtype=np.float64))
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"x must be a non-empty 1-D array, got shape {array.shape}")
    if np.nan in array or np.inf in np.abs(array):
        raise ValueError("x contains NaN or infinity")
    return array
''',
        ),
        (
            "a 2-D array is flattened instead of refused",
            '''def check_inputs(x):
    """x as a 1-D float64 array of finite real numbers; ValueError for anything else."""
    array = np.asarray(x, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError("x is empty")
    if not np.all(np.isfinite(array)):
        raise ValueError("x contains NaN or infinity")
    return array
''',
        ),
    ],
    "task3-answer": [
        (
            "notify loops over the live list: a view that detaches itself makes the next one miss "
            "the event",
            _SUBJECT_HEAD
            + '''    def attach(self, view):
        """Start telling view about changes and update it right away (event "attached")."""
        if view not in self._views:
            self._views.append(view)
            view.update(self, "attached")

'''
            + _DETACH_OK
            + '''    def notify(self, event):
        """Call view.update(self, event) on every attached view, in the order of attachment."""
        for view in self._views:
            view.update(self, event)
''',
        ),
        (
            "attach registers the view but does not update it, so a new view starts empty",
            _SUBJECT_HEAD
            + '''    def attach(self, view):
        """Start telling view about changes and update it right away (event "attached")."""
        if view not in self._views:
            self._views.append(view)

'''
            + _DETACH_OK
            + '''    def notify(self, event):
        """Call view.update(self, event) on every attached view, in the order of attachment."""
        for view in list(self._views):
            view.update(self, event)
''',
        ),
    ],
    "task3-answer-b": [
        (
            "restore changes the model but does not tell the views",
            _PREDICTOR_GIVEN
            + '''    def restore(self, which="latest"):
        """Restore "latest", "best" or a checkpoint by name, then tell every view."""
        if which == "latest":
            return self.manager.restore_latest()
        if which == "best":
            return self.manager.restore_best()
        return self.manager.restore(which)
''',
        ),
        (
            "the views are told before the restore, so they draw the old model",
            _PREDICTOR_GIVEN
            + '''    def restore(self, which="latest"):
        """Restore "latest", "best" or a checkpoint by name, then tell every view."""
        self.notify("restored")
        if which == "latest":
            return self.manager.restore_latest()
        if which == "best":
            return self.manager.restore_best()
        return self.manager.restore(which)
''',
        ),
    ],
    "task4-answer": [
        (
            "train_to never restores: a restarted run trains again from step 0",
            _MANAGER_OK
            + '''

def train_to(predictor, total_steps, data):
    """Resume from the newest checkpoint, train to total_steps; return the training losses."""
    features, targets = predictor.featurize(data.x_train), data.y_train
    val_features, val_targets = predictor.featurize(data.x_val), data.y_val
    losses = []
    while predictor.step < total_steps:
        losses.append(predictor.train_step(features, targets))
        predictor.state.step.assign_add(1)
        val_loss = predictor.loss(val_features, val_targets)
        predictor.manager.maybe_save({"val_loss": val_loss})
    return losses
''',
        ),
        (
            "the ModelState holds the model but not the optimizer",
            '''def make_checkpoint_manager(model, optimizer, storage):
    """A CheckpointManager saving every SAVE_EVERY steps, keeping the newest and the best."""
    state = ModelState(model)
    policy = CheckpointPolicy(
        every_n_steps=SAVE_EVERY, monitor="val_loss", keep_latest=KEEP_LATEST, keep_best=1
    )
    return CheckpointManager(state, storage, policy)


'''
            + _TRAIN_TO_OK,
        ),
    ],
    "task5-answer": [
        (
            "predictions computed at the first update and cached: later changes are never shown",
            _TABLE_HEAD
            + '''    def update(self, predictor, event):
        """Read the predictions for self.xs from predictor; rebuild self.text."""
        if self.predictions is None:
            self.predictions = predictor.predict(self.xs)
'''
            + _TABLE_TEXT
            + _TABLE_SHOW,
        ),
        (
            "the table refreshes only after training, not when attached or restored",
            _TABLE_HEAD
            + '''    def update(self, predictor, event):
        """Read the predictions for self.xs from predictor; rebuild self.text."""
        if event != "trained":
            return
        self.predictions = predictor.predict(self.xs)
'''
            + _TABLE_TEXT
            + _TABLE_SHOW,
        ),
    ],
    "task6-answer": [
        (
            "inheritance drawn backwards: the parent inherits from the child",
            '''uml = UML_START + """
    SinePredictor <|-- Subject
    TableView <|.. View
    PlotView <|.. View
    ExplorerView <|.. View
    Subject "1" o-- "*" View : notifies
    SinePredictor --> CheckpointManager
    CheckpointManager --> ModelState
    ExplorerView --> SinePredictor
"""
'''
            + _UML_DISPLAY,
        ),
        (
            "the views point at the subject instead of the subject holding its views",
            '''uml = UML_START + """
    Subject <|-- SinePredictor
    View <|.. TableView
    View <|.. PlotView
    View <|.. ExplorerView
    View --> Subject : observes
    SinePredictor --> CheckpointManager
    CheckpointManager --> ModelState
    ExplorerView --> SinePredictor
"""
'''
            + _UML_DISPLAY,
        ),
    ],
}
