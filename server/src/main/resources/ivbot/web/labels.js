// The names a candidate reads for the label contract's ids (shared/spec/intents.json, its "zh" fields):
// data shipped with the page, loaded before chat.js. LabelNamesTest checks it against the contract, the
// intents and audiences the server knows and the knowledge base's titles; edit it with them.
window.IVBOT_LABELS = {
  "intents": {
    "leave_annual": "年假",
    "leave_sick": "病假",
    "leave_marriage": "婚假",
    "leave_parental": "产假/陪产假",
    "work_hours": "工作时间",
    "remote_work": "远程办公",
    "salary": "薪资",
    "social_insurance": "五险一金",
    "allowances": "补贴",
    "probation": "试用期",
    "contract": "合同/三方",
    "hukou": "户口档案",
    "intern_conversion": "实习转正",
    "resignation": "离职",
    "application": "投递",
    "interview_process": "面试流程",
    "interview_result": "面试结果",
    "offer": "offer",
    "onboarding": "入职",
    "training": "培训发展",
    "greeting": "问候",
    "thanks_bye": "感谢告别",
    "human_agent": "转人工",
    "out_of_scope": "无关"
  },
  "audiences": {
    "campus": "校招",
    "experienced": "社招",
    "intern": "实习"
  }
};
