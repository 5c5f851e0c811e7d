"""Spool's scoring package: what score.py (beside it in every model folder) uses to load a Spool model with
stock torch and torchvision and to score images in Azure ML's AutoML for images contract.

    model_dir       finding the model folder, reading model.json
    weights         reading weights.safetensors
    requests        run()'s input: bytes, base64, paths, JSON, Azure's v2 request; decoding images
    preprocess      OpenCV's resize in torch, the classification transform, the detectors' input
    architectures   the reference module model.json names (torchvision or timm), with random weights
    timm_fallback   timm's architectures when timm is not installed
    classification  multiclass and multilabel scoring
    detection       object detection and instance segmentation scoring (Faster R-CNN, RetinaNet, FCOS, Mask R-CNN
                    polygons), with optional tiling
"""
