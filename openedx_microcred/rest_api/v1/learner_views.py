"""The signed-in learner's own programmes and credentials: ``me/programmes/…``,
``me/credentials/…``. Thin: permission, ``api`` call, serializer, pagination."""
from rest_framework.response import Response

from ... import api
from .base import MicrocredGenericAPIView
from .learner_serializers import (
    CredentialDetailSerializer,
    CredentialSerializer,
    ProgrammeDetailSerializer,
    ProgrammeSummarySerializer,
)
from .permissions import LEARNER_DATA


class _LearnerView(MicrocredGenericAPIView):
    permission_classes = LEARNER_DATA


class MyProgrammesView(_LearnerView):
    """The programmes the learner has started, by title (paginated)."""

    serializer_class = ProgrammeSummarySerializer

    def get(self, request):
        page = self.paginate_queryset(api.get_learner_programmes(user_id=request.user.pk))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MyProgrammeView(_LearnerView):
    """One published programme with the requirement tree and the learner's state on every
    node (also before they start it). 404 for an unknown programme."""

    serializer_class = ProgrammeDetailSerializer

    def get(self, request, program_id: str):
        programme = api.get_learner_programme(user_id=request.user.pk, program_id=program_id)
        return Response(self.get_serializer(programme).data)


class MyCredentialsView(_LearnerView):
    """Every credential the learner holds or held, newest first (paginated)."""

    serializer_class = CredentialSerializer

    def get(self, request):
        page = self.paginate_queryset(api.get_learner_credentials(user_id=request.user.pk))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class MyCredentialView(_LearnerView):
    """One of the learner's credentials with its document, CLR, PDF, image and verification
    URLs. 404 when it does not exist or is someone else's."""

    serializer_class = CredentialDetailSerializer

    def get(self, request, credential_uuid: str):
        credential = api.get_learner_credential(user_id=request.user.pk,
                                                credential_uuid=credential_uuid)
        return Response(self.get_serializer(credential).data)
