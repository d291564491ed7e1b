"""Wrong answers students really write for
notebooks/assignments/assignment5/multimodal_driving.ipynb (Assignment 5, multimodal driving).

Each entry is a whole answer cell as a student would submit it (the given lines kept, the
solution markers gone). Every one of them must score less than full points on its task.
"""

_ENCODER_HEAD = """def make_camera_encoder(pretrained):
    # Camera pictures (0..255) in, the frozen base's feature vector out (notebook 03, section 4).
"""

_MODEL_HEAD = """def build_driving_model(pretrained):
    # Inputs "camera", "lidar", "vehicle"; outputs {"steering": ..., "brake": ...}.
    camera = keras.Input((32, 32, 3), name="camera")
    lidar = keras.Input((LIDAR_BEAMS,), name="lidar")
    vehicle = keras.Input((2,), name="vehicle")
    seen = layers.LayerNormalization()(make_camera_encoder(pretrained)(camera))
    seen = layers.Dense(32, activation="relu")(seen)
    near = layers.Rescaling(1 / LIDAR_MAX_RANGE)(lidar)
    near = layers.Dense(64, activation="relu")(near)
    near = layers.Dense(32, activation="relu")(near)
    own = layers.Rescaling([1 / 20, 1.0])(vehicle)
    own = layers.Dense(16, activation="relu")(own)
    plan = layers.Concatenate()([seen, near, own])
    plan = layers.Dense(64, activation="relu")(plan)
    plan = layers.Dense(32, activation="relu")(plan)
"""

_MODEL_END = """    return keras.Model(
        {"camera": camera, "lidar": lidar, "vehicle": vehicle},
        {"steering": steering, "brake": brake},
    )
"""

_RUN_HEAD = """def new_driving_run(checkpoint_dir):
    # (model, manager): everything made inside strategy.scope(); checkpoints in checkpoint_dir.
"""

_TRAIN_OK = """

def train_driving(model, manager, total_epochs):
    # From manager.state.epoch_number up to total_epochs: fit one epoch, count, checkpoint.
    for epoch in range(manager.state.epoch_number, total_epochs):
        order = epoch_order(len(train), epoch)
        model.fit(
            {k: v[order] for k, v in train.inputs.items()},
            {k: v[order] for k, v in train.targets.items()},
            batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0,
        )
        manager.state.step.assign_add(STEPS_PER_EPOCH)
        manager.state.epoch.assign(epoch + 1)
        manager.save()


driving_model, driving_manager = new_driving_run(RUN_DIR)
train_driving(driving_model, driving_manager, EPOCHS)
"""

_RESUME_HEAD = """def resume_driving(checkpoint_dir, total_epochs):
    # A new run over checkpoint_dir that continues from its latest checkpoint.
"""

WRONG_ANSWERS = {
    "task1-answer": [
        (
            "the base is left trainable (never frozen)",
            _ENCODER_HEAD
            + """    picture = keras.Input((32, 32, 3))
    features = pretrained.base(pretrained.preprocessing_layer()(picture), training=False)
    return keras.Model(picture, features)
""",
        ),
        (
            "raw 0..255 pixels go into the base: no preprocessing",
            _ENCODER_HEAD
            + """    pretrained.freeze()
    picture = keras.Input((32, 32, 3))
    return keras.Model(picture, pretrained.base(picture, training=False))
""",
        ),
    ],
    "task2-answer": [
        (
            "only the camera is wired to the brake head",
            _MODEL_HEAD
            + """    steering = layers.Dense(1)(plan)
    brake = layers.Dense(1, activation="sigmoid")(seen)
"""
            + _MODEL_END,
        ),
        (
            "a brake head without sigmoid: logits, not a probability",
            _MODEL_HEAD
            + """    steering = layers.Dense(1)(plan)
    brake = layers.Dense(1)(plan)
"""
            + _MODEL_END,
        ),
    ],
    "task3-answer": [
        (
            "model built and compiled outside strategy.scope(): trained on one device",
            _RUN_HEAD
            + """    model = build_driving_model(PretrainedModel.from_file(ROAD_BASE))
    optimizer = keras.optimizers.Adam(LEARNING_RATE)
    model.compile(
        optimizer=optimizer,
        loss={"steering": "mse", "brake": "binary_crossentropy"},
        loss_weights=LOSS_WEIGHTS,
    )
    manager = CheckpointManager(
        ModelState(model, optimizer), LocalStorage(checkpoint_dir), CheckpointPolicy(keep_latest=2)
    )
    return model, manager
"""
            + _TRAIN_OK,
        ),
        (
            "a sigmoid brake head trained with a from_logits=True loss",
            _RUN_HEAD
            + """    with strategy.scope():
        model = build_driving_model(PretrainedModel.from_file(ROAD_BASE))
        optimizer = keras.optimizers.Adam(LEARNING_RATE)
        model.compile(
            optimizer=optimizer,
            loss={
                "steering": keras.losses.MeanSquaredError(),
                "brake": keras.losses.BinaryCrossentropy(from_logits=True),
            },
            loss_weights=LOSS_WEIGHTS,
        )
        manager = CheckpointManager(
            ModelState(model, optimizer), LocalStorage(checkpoint_dir),
            CheckpointPolicy(keep_latest=2),
        )
    return model, manager
"""
            + _TRAIN_OK,
        ),
    ],
    "task4-answer": [
        (
            "evaluated on the training scenes",
            """# held_out = {"steering_mae": ..., "brake_accuracy": ...} for driving_model on test
p = driving_model.predict(train.inputs, verbose=0)
held_out = {
    "steering_mae": float(np.mean(np.abs(p["steering"] - train.targets["steering"]))),
    "brake_accuracy": float(np.mean((p["brake"] > 0.5) == (train.targets["brake"] > 0.5))),
}
""",
        ),
        (
            "root mean squared error reported as the steering error",
            """# held_out = {"steering_mae": ..., "brake_accuracy": ...} for driving_model on test
p = driving_model.predict(test.inputs, verbose=0)
held_out = {
    "steering_mae": float(np.sqrt(np.mean((p["steering"] - test.targets["steering"]) ** 2))),
    "brake_accuracy": float(np.mean((p["brake"] > 0.5) == (test.targets["brake"] > 0.5))),
}
""",
        ),
    ],
    "task5-answer": [
        (
            "no restore: the new run starts again from step 0",
            _RESUME_HEAD
            + """    model, manager = new_driving_run(checkpoint_dir)
    train_driving(model, manager, total_epochs)
    return model, manager
""",
        ),
        (
            "restores the weights only: optimizer and counters start over",
            _RESUME_HEAD
            + """    import tensorflow as tf

    model, manager = new_driving_run(checkpoint_dir)
    latest = manager.latest
    if latest is not None:
        prefix = pathlib.Path(checkpoint_dir) / latest.name / "state"
        tf.train.Checkpoint(model=model).read(str(prefix)).expect_partial()
    train_driving(model, manager, total_epochs)
    return model, manager
""",
        ),
    ],
}
